// The console's second step with a passkey: the one script the console runs.
//
// It asks the browser for a signature over the options the server put on the
// form (data-passkey-options), puts the answer in the form's hidden
// "credential" field and posts the form as it is (CSRF token and all). No
// request of its own, nothing read from or sent to any other origin.
"use strict";

(function () {
  const form = document.querySelector("form[data-passkey-options]");
  if (!form) {
    return;
  }
  const problem = form.querySelector("[data-passkey-problem]");
  const button = form.querySelector("button");

  function say(text) {
    problem.textContent = text;
    problem.hidden = false;
  }

  function decode(text) {
    const padded = text.replace(/-/g, "+").replace(/_/g, "/")
      + "===".slice((text.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)).buffer;
  }

  function encode(buffer) {
    const text = String.fromCharCode(...new Uint8Array(buffer));
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function request(options) {
    return {
      ...options,
      challenge: decode(options.challenge),
      allowCredentials: (options.allowCredentials || []).map(
        (c) => ({...c, id: decode(c.id)})),
    };
  }

  function answer(got) {
    const r = got.response;
    return {
      id: got.id,
      rawId: encode(got.rawId),
      type: got.type,
      clientExtensionResults: {},
      response: {
        clientDataJSON: encode(r.clientDataJSON),
        authenticatorData: encode(r.authenticatorData),
        signature: encode(r.signature),
        userHandle: r.userHandle ? encode(r.userHandle) : null,
      },
    };
  }

  if (!window.PublicKeyCredential || !navigator.credentials) {
    say("This browser cannot use passkeys here: enter a code instead.");
    button.disabled = true;
    return;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    problem.hidden = true;
    try {
      const options = JSON.parse(form.dataset.passkeyOptions);
      const got = await navigator.credentials.get({publicKey: request(options)});
      form.elements.credential.value = JSON.stringify(answer(got));
      form.submit();
    } catch (error) {
      say("No passkey was used (" + error.name + "): try again, or enter a code.");
      button.disabled = false;
    }
  });
})();
