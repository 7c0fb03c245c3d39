"""The app's custom Streamlit components, each a .py with its .js and .css beside it."""
