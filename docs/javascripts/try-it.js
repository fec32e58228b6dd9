// "Try it" on the API reference: a form built from the contract (the page embeds it as JSON
// in #try-it-spec), sent from the browser to the base URL the reader sets (by default
// `make sandbox`'s). The key lives in its input only, for the tab's life: it is never written
// to localStorage or sessionStorage, and every sample shows $LEANRAILS_API_KEY instead.
(function () {
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null) node.setAttribute(name, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  let counter = 0;

  // One input (or fieldset) for `field` at API path `path`, filled with `value`.
  function control(field, path, value) {
    const id = "try-it-" + ++counter;
    const label = el("label", { for: id }, field.name + (field.required ? " (required)" : ""));
    if (field.array) return list(field, path, value || []);
    if (field.children) return group(field, path, value || {});
    let input;
    if (field.enum) {
      input = el("select", { id });
      input.append(el("option", { value: "" }, "(not sent)"));
      for (const option of field.enum) input.append(el("option", { value: option }, option));
      input.value = value === undefined ? "" : String(value);
    } else if (field.type === "object of strings") {
      input = el("textarea", { id, rows: "2", placeholder: '{"key": "value"}' });
      input.value = value === undefined ? "" : JSON.stringify(value);
    } else {
      const type = field.type === "integer" ? "number" : "text";
      input = el("input", { id, type, autocomplete: "off" });
      input.value = value === undefined ? "" : String(value);
    }
    input.dataset.param = path;
    input.dataset.kind = field.type;
    return el("div", { class: "try-it-field" }, label, input);
  }

  function group(field, path, value) {
    const box = el("fieldset", { class: "try-it-group" }, el("legend", {}, field.name));
    for (const child of field.children) {
      box.append(control(child, path + "." + child.name, value[child.name]));
    }
    box.dataset.group = path;
    return box;
  }

  function list(field, path, values) {
    const box = el("fieldset", { class: "try-it-group" }, el("legend", {}, field.name));
    const items = el("div", {});
    const add = (value) => {
      const index = items.children.length;
      const item = el("fieldset", { class: "try-it-item" }, el("legend", {}, `${field.name}[${index}]`));
      for (const child of field.children) {
        item.append(control(child, `${path}[${index}].${child.name}`, (value || {})[child.name]));
      }
      item.dataset.group = `${path}[${index}]`;
      items.append(item);
    };
    values.forEach(add);
    const more = el("button", { type: "button", class: "md-button" }, `Add an item to ${field.name}`);
    more.addEventListener("click", () => add({}));
    box.append(items, more);
    box.dataset.list = path;
    return box;
  }

  // The body the form describes: empty inputs are not sent.
  function body(form) {
    const out = {};
    for (const input of form.querySelectorAll("[data-param]")) {
      if (input.value.trim() === "") continue;
      let value = input.value;
      if (input.dataset.kind === "integer") value = Number(value);
      if (input.dataset.kind === "object of strings") {
        try {
          value = JSON.parse(value);
        } catch (error) {
          value = input.value; // sent as written: the server says what is wrong with it
        }
      }
      set(out, input.dataset.param, value);
    }
    return out;
  }

  function set(target, path, value) {
    const names = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    let node = target;
    names.forEach((name, i) => {
      if (i === names.length - 1) {
        node[name] = value;
        return;
      }
      if (!(name in node)) node[name] = /^\d+$/.test(names[i + 1]) ? [] : {};
      node = node[name];
    });
    for (const key of Object.keys(target)) {
      if (Array.isArray(target[key])) target[key] = target[key].filter((x) => x !== undefined);
    }
  }

  function python(value, indent) {
    const pad = "    ".repeat(indent + 1);
    if (Array.isArray(value)) {
      return "[\n" + value.map((v) => pad + python(v, indent + 1) + ",\n").join("") + "    ".repeat(indent) + "]";
    }
    if (value && typeof value === "object") {
      const items = Object.entries(value).map(([k, v]) => pad + JSON.stringify(k) + ": " + python(v, indent + 1) + ",\n");
      return "{\n" + items.join("") + "    ".repeat(indent) + "}";
    }
    if (value === true) return "True";
    if (value === false) return "False";
    if (value === null) return "None";
    return JSON.stringify(value);
  }

  // The samples for the reader's values; the key is $LEANRAILS_API_KEY in each, never its value.
  function samples(base, sent) {
    const json = JSON.stringify(sent, null, 2);
    const args = Object.entries(sent).map(([k, v]) => `    ${k}=${python(v, 1)},\n`).join("");
    return {
      curl:
        "curl --request POST \\\n" +
        `  --url "\${LEANRAILS_BASE_URL:-${base}}/v1/checkout_sessions" \\\n` +
        '  --user "$LEANRAILS_API_KEY:" \\\n' +
        "  --header 'Content-Type: application/json' \\\n" +
        "  --header \"Idempotency-Key: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \\n')\" \\\n" +
        "  --data '\n" + json.replace(/'/g, "'\\''") + "\n'",
      Python:
        "import os\n\nfrom leanrails import LeanRails\n\n" +
        `base_url = os.environ.get("LEANRAILS_BASE_URL", ${JSON.stringify(base)})\n` +
        "client = LeanRails(base_url=base_url)  # the key: LEANRAILS_API_KEY\n" +
        `session = client.checkout_sessions.create(\n${args})\nprint(session.id, session.url)`,
      JavaScript:
        `const baseUrl = process.env.LEANRAILS_BASE_URL ?? ${JSON.stringify(base)};\n` +
        'const key = Buffer.from(`${process.env.LEANRAILS_API_KEY}:`).toString("base64");\n' +
        "const response = await fetch(`${baseUrl}/v1/checkout_sessions`, {\n" +
        '  method: "POST",\n  headers: {\n    Authorization: `Basic ${key}`,\n' +
        '    "Content-Type": "application/json",\n    "Idempotency-Key": crypto.randomUUID(),\n  },\n' +
        `  body: JSON.stringify(${json.replace(/\n/g, "\n  ")}),\n});\n` +
        "console.log(response.status, await response.json());",
    };
  }

  function freshKey() {
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function mount() {
    const root = document.getElementById("try-it");
    const specNode = document.getElementById("try-it-spec");
    if (!root || !specNode || root.dataset.ready) return;
    root.dataset.ready = "1";
    const spec = JSON.parse(specNode.textContent);
    const form = el("form", { class: "try-it-form", novalidate: "" });
    const baseId = "try-it-base-url";
    const keyId = "try-it-api-key";
    const idemId = "try-it-idempotency-key";
    const base = el("input", { id: baseId, type: "url", value: spec.base_url, autocomplete: "off" });
    const key = el("input", { id: keyId, type: "password", autocomplete: "off", placeholder: "sk_test_..." });
    const idem = el("input", { id: idemId, type: "text", autocomplete: "off", placeholder: "a new one each send" });
    form.append(
      el("fieldset", { class: "try-it-group" }, el("legend", {}, "Where and who"),
        el("div", { class: "try-it-field" }, el("label", { for: baseId }, "Base URL"), base),
        el("div", { class: "try-it-field" }, el("label", { for: keyId }, "API key (kept in this tab only)"), key),
        el("div", { class: "try-it-field" }, el("label", { for: idemId }, "Idempotency-Key"), idem)),
    );
    const fields = el("fieldset", { class: "try-it-group" }, el("legend", {}, "Body"));
    for (const field of spec.fields) fields.append(control(field, field.name, spec.example[field.name]));
    form.append(fields);
    const send = el("button", { type: "submit", class: "md-button md-button--primary" }, "Send");
    const status = el("p", { class: "try-it-status", role: "status" });
    const answer = el("pre", { class: "try-it-response" }, el("code", {}));
    const shown = el("div", { class: "try-it-samples" });
    form.append(send);
    root.append(form, status, answer, shown);

    const showSamples = () => {
      shown.replaceChildren();
      for (const [name, code] of Object.entries(samples(base.value.replace(/\/+$/, ""), body(form)))) {
        shown.append(el("p", { class: "endpoint-code-title" }, name), el("pre", { "data-sample": name }, el("code", {}, code)));
      }
    };
    form.addEventListener("input", showSamples);
    form.addEventListener("click", (event) => { if (event.target.type === "button") showSamples(); });
    showSamples();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      for (const marked of form.querySelectorAll("[aria-invalid]")) {
        marked.removeAttribute("aria-invalid");
        marked.classList.remove("try-it-invalid");
      }
      const sent = body(form);
      showSamples();
      status.textContent = "Sending…";
      answer.firstChild.textContent = "";
      try {
        const response = await fetch(base.value.replace(/\/+$/, "") + "/v1/checkout_sessions", {
          method: "POST",
          headers: {
            Authorization: "Basic " + btoa(key.value + ":"),
            "Content-Type": "application/json",
            "Idempotency-Key": idem.value.trim() || freshKey(),
          },
          body: JSON.stringify(sent),
        });
        const text = await response.text();
        let data = null;
        try { data = JSON.parse(text); } catch (error) { /* not JSON: shown as text */ }
        status.textContent = `HTTP ${response.status}` + (data && data.error ? `: ${data.error.message}` : "");
        answer.firstChild.textContent = data ? JSON.stringify(data, null, 2) : text;
        const param = data && data.error && data.error.param;
        if (param) {
          const input = form.querySelector(`[data-param="${CSS.escape(param)}"]`) ||
            form.querySelector(`[data-group="${CSS.escape(param)}"], [data-list="${CSS.escape(param)}"]`);
          if (input) {
            input.setAttribute("aria-invalid", "true");
            input.classList.add("try-it-invalid");
            input.focus();
          }
        }
      } catch (error) {
        status.textContent = `No answer from ${base.value}: is the sandbox running (make sandbox), and does it allow this page's origin (${location.origin}) with --cors-origin?`;
      }
    });
  }

  if (typeof document$ !== "undefined") document$.subscribe(mount);
  else window.addEventListener("DOMContentLoaded", mount);
})();
