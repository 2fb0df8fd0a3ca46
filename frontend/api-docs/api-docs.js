// api-docs.js: starts Swagger UI on the /docs page over the service's own OpenAPI document. A file
// of its own, not an inline script, so the page's Content-Security-Policy can forbid inline code.
// No validator badge (it would call a public web service), and the bearer token typed into
// Authorize lives only as long as the tab.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: new URL(root.dataset.openapiUrl, document.baseURI).href,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "BaseLayout",
    deepLinking: true,
    displayRequestDuration: true,
    validatorUrl: null,
    persistAuthorization: false,
  });
});
