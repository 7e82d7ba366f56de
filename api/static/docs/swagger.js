// Starts Swagger UI on /docs (a file, not an inline script: the page's policy allows no inline code).
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  domNode: root,
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null, // no badge from the public validator: nothing is loaded from elsewhere
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  // "Authorize" with OAuth 2.0: a client registered with this redirect URI (see the README).
  oauth2RedirectUrl: `${location.origin}/docs/oauth2-redirect`,
});
window.ui.initOAuth({ usePkceWithAuthorizationCodeGrant: true, scopeSeparator: " " });
