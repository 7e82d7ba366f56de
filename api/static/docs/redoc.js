// Starts ReDoc on /redoc (a file, not an inline script: the page's policy allows no inline code).
const root = document.getElementById("redoc");
Redoc.init(root.dataset.openapiUrl, {}, root);
