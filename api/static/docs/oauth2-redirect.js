// The end of /docs' "Authorize" flow (OAuth 2.0 authorization code with PKCE): hands the code
// back to the Swagger UI window that opened this one, which exchanges it at /oauth/token.
const pending = window.opener && window.opener.swaggerUIRedirectOauth2;
const answer = new URLSearchParams(location.search);
if (pending) {
  const fail = (message) => pending.errCb({ authId: pending.auth.name, source: "auth", level: "error", message });
  if (answer.get("state") !== pending.state) {
    fail("the state sent back is not the one sent: refused");
  } else if (answer.has("code")) {
    pending.auth.code = answer.get("code");
    pending.callback({ auth: pending.auth, redirectUrl: pending.redirectUrl });
  } else {
    fail(answer.get("error_description") || answer.get("error") || "no authorization code came back");
  }
  window.close(); // the popup /docs opened; a page opened otherwise stays
}
