// The console's passkeys: the one script the console runs, on the two pages
// that need the browser's WebAuthn API (the second step of signing in, and
// adding a passkey).
//
// It asks the browser to sign (navigator.credentials.get) or to create
// (navigator.credentials.create) with the options the server put on the
// form (data-passkey-options or data-passkey-creation), puts the answer in
// the form's hidden "credential" field and posts the form as it is (CSRF
// token and all). No request of its own, nothing from any other origin.
"use strict";

(function () {
  const signing = document.querySelector("form[data-passkey-options]");
  const creating = document.querySelector("form[data-passkey-creation]");
  const form = signing || creating;
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

  function descriptors(list) {
    return (list || []).map((c) => ({...c, id: decode(c.id)}));
  }

  // The second step: a signature over the sign-in's challenge.
  async function signed(options) {
    const got = await navigator.credentials.get({publicKey: {
      ...options,
      challenge: decode(options.challenge),
      allowCredentials: descriptors(options.allowCredentials),
    }});
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

  // Adding a passkey: a new key pair, attested.
  async function created(options) {
    const made = await navigator.credentials.create({publicKey: {
      ...options,
      challenge: decode(options.challenge),
      user: {...options.user, id: decode(options.user.id)},
      excludeCredentials: descriptors(options.excludeCredentials),
    }});
    const r = made.response;
    return {
      id: made.id,
      rawId: encode(made.rawId),
      type: made.type,
      clientExtensionResults: {},
      response: {
        clientDataJSON: encode(r.clientDataJSON),
        attestationObject: encode(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : [],
      },
    };
  }

  if (!window.PublicKeyCredential || !navigator.credentials) {
    say(signing
      ? "This browser cannot use passkeys here: enter a code instead."
      : "This browser cannot create passkeys here.");
    button.disabled = true;
    return;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    problem.hidden = true;
    try {
      const answer = signing
        ? await signed(JSON.parse(form.dataset.passkeyOptions))
        : await created(JSON.parse(form.dataset.passkeyCreation));
      form.elements.credential.value = JSON.stringify(answer);
      form.submit();
    } catch (error) {
      say("No passkey was " + (signing ? "used" : "created")
        + " (" + error.name + "): try again"
        + (signing ? ", or enter a code." : "."));
      button.disabled = false;
    }
  });
})();
