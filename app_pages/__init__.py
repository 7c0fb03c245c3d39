"""The app's pages (run by app.py through st.navigation) and the code they share."""
