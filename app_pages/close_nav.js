// On a phone Streamlit's page menu covers the page and stays open after a pick: close it
// once a page link is tapped. Registered once per browser tab; Streamlit calls this on
// every render of the (invisible) element.
export default function () {
  if (window.__explorerNavCloser) return;
  window.__explorerNavCloser = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('[data-testid="stSidebarNavLink"]');
    // Streamlit's own phone breakpoint: below it the menu is drawn over the page.
    if (!link || !window.matchMedia("(max-width: 767.98px)").matches) return;
    requestAnimationFrame(() => {
      const close = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
      if (close) close.click();
    });
  });
}
