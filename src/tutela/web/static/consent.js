/*! Tutela consent widget: <script src="https://tutela.example/consent.js" data-key="tk_..." async>
 * API = the script's origin, or data-api. DOM from createElement/textContent only, in a shadow
 * root; styles via a constructed stylesheet (not blocked by a strict style-src CSP). */
(() => {
  "use strict";
  const me = document.currentScript;
  if (!me || window.TutelaConsent) return;
  const KEY = me.dataset.key || "";
  const API = (me.dataset.api || new URL(me.src, location.href).origin).replace(/\/+$/, "");
  const COOKIE = "tutela_consent";
  const MAX_AGE = 15552000; // 180 days
  const GPC_TEXT =
    "Your browser's Global Privacy Control signal was honoured: we do not sell or share your data";
  const CSS = `:host{all:initial}*{box-sizing:border-box}[hidden]{display:none!important}
.w{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a}
p{margin:0 0 .75rem}a{color:#1f4fbf}
.bn{position:fixed;left:0;right:0;bottom:0;z-index:2147483000;background:#fff;border-top:1px solid #999;box-shadow:0 -2px 12px #0003;padding:1rem;max-height:100%;overflow:auto}
.in{max-width:60rem;margin:0 auto}
.act{display:flex;flex-wrap:wrap;gap:.5rem;margin:0 0 .75rem}
.b{flex:1 1 8rem;min-height:2.75rem;padding:.55rem .9rem;font:inherit;font-weight:600;color:#fff;background:#1f4fbf;border:0;border-radius:.4rem;cursor:pointer}
.b:hover{background:#173c91}.b:disabled{opacity:.6}
:focus-visible{outline:3px solid #e69500;outline-offset:2px}
.ov{position:fixed;top:0;right:0;bottom:0;left:0;z-index:2147483001;background:#0008;display:flex;align-items:center;justify-content:center;padding:.5rem}
.dlg{background:#fff;border-radius:.5rem;width:100%;max-width:36rem;max-height:100%;overflow:auto;padding:1rem 1.25rem}
.hd,.row{display:flex;justify-content:space-between;align-items:center;gap:1rem}
h2{font-size:1.25rem;margin:0}
.x{font:inherit;font-size:1.5rem;line-height:1;background:none;border:0;padding:.25rem .5rem;cursor:pointer;color:inherit}
ul{list-style:none;margin:0 0 1rem;padding:0}li{border-top:1px solid #ddd;padding:.75rem 0}
label{font-weight:600}.s{font-size:.9em;color:#444;margin:.25rem 0 0}
[role=switch]{appearance:none;-webkit-appearance:none;flex:none;width:2.75rem;height:1.5rem;margin:0;border-radius:.75rem;background:#6b6b6b radial-gradient(circle at .75rem 50%,#fff .5rem,#0000 .55rem);cursor:pointer}
[role=switch]:checked{background:#1a7f37 radial-gradient(circle at 2rem 50%,#fff .5rem,#0000 .55rem)}
[role=switch]:disabled{opacity:.55;cursor:not-allowed}
.gpc{border-left:4px solid #1a7f37;background:#eef7f0;padding:.5rem .75rem;margin:.5rem 0}
.err{color:#b00020;font-weight:600}
.fab{position:fixed;left:.75rem;bottom:.75rem;z-index:2147482999;font:inherit;font-size:.85rem;padding:.4rem .8rem;background:#fff;color:#1a1a1a;border:1px solid #777;border-radius:1rem;cursor:pointer}`;

  let cfg; // GET /v1/consents/config
  let saved = readCookie(); // {s: subject id, r: receipt id, v: notice version, c: {purpose: bool}}
  let gpc = false;
  let wantOpen = false;
  let root, banner, bannerText, overlay, dialog, err, fab, opener;
  const switches = new Map(); // purpose name -> its checkbox
  const buttons = [];

  // The choice is remembered in one first-party cookie on the embedding site.
  function readCookie() {
    for (const part of document.cookie.split(";")) {
      const i = part.indexOf("=");
      if (i < 0 || part.slice(0, i).trim() !== COOKIE) continue;
      const q = new URLSearchParams(part.slice(i + 1).trim());
      const c = {};
      for (const p of (q.get("y") || "").split(",")) if (p) c[p] = true;
      for (const p of (q.get("n") || "").split(",")) if (p) c[p] = false;
      return q.get("s") ? { s: q.get("s"), r: q.get("r") || "", v: q.get("v") || "", c } : null;
    }
    return null;
  }

  function writeCookie(st) {
    const names = Object.keys(st.c);
    const y = names.filter((p) => st.c[p]).join(",");
    const n = names.filter((p) => !st.c[p]).join(",");
    const q = new URLSearchParams({ s: st.s, r: st.r, v: st.v, y, n });
    const secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${COOKIE}=${q}; Max-Age=${MAX_AGE}; Path=/; SameSite=Lax${secure}`;
  }

  async function api(method, path, body) {
    const headers = { Authorization: "Bearer " + KEY, Accept: "application/json" };
    if (body) headers["Content-Type"] = "application/json";
    const res = await fetch(API + path, {
      method, headers, body: body && JSON.stringify(body),
      mode: "cors", credentials: "omit", cache: "no-store",
    });
    if (res.ok) return res.json();
    const e = new Error(`Tutela API answered ${res.status}`);
    e.status = res.status;
    throw e;
  }

  // el("p", {class, text, onclick, attr: value}, ...children); string children become text.
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v === true) e.setAttribute(k, "");
      else if (v !== false && v != null) e.setAttribute(k, String(v));
    }
    for (const kid of kids) if (kid) e.append(kid);
    return e;
  }

  function button(text, onclick, popup) {
    const b = el("button", { type: "button", class: "b", text, onclick, "aria-haspopup": popup });
    buttons.push(b);
    return b;
  }

  const shown = (e) => !!e && e.isConnected && e.getClientRects().length > 0;
  const title = (name) => {
    const t = String(name).replace(/_/g, " ");
    return t.charAt(0).toUpperCase() + t.slice(1);
  };
  const controller = () => (cfg.controller || {}).name || "This site";
  const gpcNote = (id) => el("p", { class: "gpc", id, role: "note", "data-gpc": true, text: GPC_TEXT });
  const noticeLink = () => {
    const href = new URL(cfg.notice_url || "/privacy/notice", API + "/").href;
    return el("a", { href, target: "_blank", rel: "noopener", text: "Privacy notice" });
  };

  function deepActive() {
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    return a;
  }

  function addStyles(r) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      r.adoptedStyleSheets = [sheet];
    } catch (_) {
      r.append(el("style", { nonce: me.nonce || null, text: CSS })); // old browsers: CSP nonce
    }
  }

  // The banner, the preferences dialog and the small "Privacy choices" button.
  function build() {
    const host = el("div", { id: "tutela-consent" });
    root = host.attachShadow({ mode: "open" });
    addStyles(root);
    const all = (yes) => () => choose(yes);
    bannerText = el("span");
    banner = el("section", { class: "bn", "aria-labelledby": "tc-bh", hidden: true },
      el("div", { class: "in" },
        el("p", {}, el("strong", { id: "tc-bh", text: "Your privacy choices. " }), bannerText),
        gpcNote("tc-bg"),
        el("div", { class: "act" },
          button("Accept all", all(true)),
          button("Reject all", all(false)),
          button("Manage choices", () => openDialog(), "dialog")),
        el("p", {}, noticeLink())));

    const list = el("ul");
    cfg.purposes.forEach((p, i) => {
      const id = "tc-p" + i;
      const box = el("input", { type: "checkbox", role: "switch", id });
      box.dataset.ids = `${id}d ${id}c` + (p.sale_or_share ? ` ${id}s` : "");
      switches.set(p.name, box);
      const cats = (p.categories || []).join(", ");
      const sale = p.sale_or_share && "This sells or shares your data with others.";
      list.append(el("li", {},
        el("div", { class: "row" }, el("label", { for: id, text: title(p.name) }), box),
        el("p", { class: "s", id: id + "d", text: p.description || "" }),
        el("p", { class: "s", id: id + "c", text: cats && "Data used: " + cats }),
        sale && el("p", { class: "s", id: id + "s", text: sale }),
        sale && gpcNote(id + "g")));
    });

    err = el("p", { class: "err", role: "alert", hidden: true });
    const contact = (cfg.controller || {}).contact;
    dialog = el("div", {
      class: "dlg", role: "dialog", "aria-modal": "true", "aria-labelledby": "tc-dh",
      "aria-describedby": "tc-di", tabindex: "-1", onkeydown: trap,
    },
      el("div", { class: "hd" },
        el("h2", { id: "tc-dh", text: "Privacy choices" }),
        el("button", { type: "button", class: "x", "aria-label": "Close", text: "\u00d7", onclick: closeDialog })),
      el("p", {
        id: "tc-di",
        text: `Choose how ${controller()} may use your data; you can change your mind at any time. ` +
          "Uses needed to provide the service are explained in the privacy notice.",
      }),
      list,
      err,
      el("div", { class: "act" },
        button("Accept all", all(true)),
        button("Reject all", all(false)),
        button("Save choices", () => save(current()))),
      el("p", {}, noticeLink(), contact && " \u00b7 Contact: " + contact));
    overlay = el("div", { class: "ov", hidden: true, onclick: (e) => e.target === overlay && closeDialog() }, dialog);
    fab = el("button", {
      type: "button", class: "fab", hidden: true, "aria-haspopup": "dialog",
      text: "Privacy choices", onclick: () => openDialog(),
    });
    root.append(el("div", { class: "w" }, banner, overlay, fab));
    document.body.append(host);
    render();
  }

  // Switches show what is stored (or the defaults); GPC turns sale/share off and locks it.
  function render() {
    const stored = (saved && saved.c) || {};
    for (const p of cfg.purposes) {
      const box = switches.get(p.name);
      const locked = gpc && !!p.sale_or_share;
      box.checked = !locked && (p.name in stored ? stored[p.name] : !!p.active_by_default);
      box.disabled = locked;
      box.setAttribute("aria-describedby", box.dataset.ids + (locked ? ` ${box.id}g` : ""));
    }
    for (const n of root.querySelectorAll("[data-gpc]")) n.hidden = !gpc;
  }

  function current() {
    const choices = {};
    for (const [name, box] of switches) choices[name] = box.checked && !box.disabled;
    return choices;
  }

  function choose(yes) {
    const choices = {};
    for (const p of cfg.purposes) choices[p.name] = yes && !(gpc && p.sale_or_share);
    return save(choices);
  }

  function showBanner(changed) {
    const names = cfg.purposes.map((p) => title(p.name)).join(", ");
    bannerText.textContent =
      (changed ? "Our privacy notice has changed since you last chose, so please choose again. " : "") +
      `${controller()} would like your consent to use your data for: ${names}. ` +
      "Rejecting is as easy as accepting, and you can change your mind at any time.";
    banner.hidden = false;
    fab.hidden = true;
  }

  function openDialog() {
    if (!root) return void (wantOpen = true);
    if (!overlay.hidden) return;
    opener = deepActive();
    render();
    err.hidden = true;
    overlay.hidden = false;
    (focusables()[0] || dialog).focus();
  }

  function closeDialog() {
    if (overlay.hidden) return;
    overlay.hidden = true;
    const back = shown(opener) ? opener : banner.hidden ? fab : banner.querySelector("button");
    if (back && back.focus) back.focus();
  }

  function focusables() {
    return [...dialog.querySelectorAll("button,a[href],input")].filter((e) => !e.disabled && shown(e));
  }

  // Esc closes the dialog; Tab and Shift+Tab cycle inside it.
  function trap(e) {
    if (e.key === "Escape") {
      e.preventDefault();
      return closeDialog();
    }
    const f = focusables();
    if (e.key !== "Tab" || !f.length) return;
    const at = root.activeElement;
    const [first, last] = [f[0], f[f.length - 1]];
    if (e.shiftKey ? at === first || at === dialog : at === last) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    }
  }

  async function save(choices) {
    for (const b of buttons) b.disabled = true;
    err.hidden = true;
    const body = { choices, method: "web_form", notice_version: cfg.notice_version };
    let res = null;
    try {
      if (saved && saved.s && saved.r) {
        const path = `/v1/subjects/${encodeURIComponent(saved.s)}/consents`;
        try {
          res = await api("POST", path, Object.assign({ proof: saved.r }, body));
        } catch (e) {
          if (e.status !== 403 && e.status !== 404) throw e; // erased, or proof refused: afresh
        }
      }
      if (!res) res = await api("POST", "/v1/consents", body);
    } catch (e) {
      console.warn("Tutela consent: choices not saved:", e.message);
      err.textContent = "Your choices could not be saved. Please try again.";
      if (overlay.hidden) openDialog();
      err.hidden = false;
      return;
    } finally {
      for (const b of buttons) b.disabled = false;
    }
    gpc = gpc || !!res.gpc_honoured;
    const final = Object.assign({}, saved && saved.c, choices);
    const receipts = res.receipts || [];
    for (const r of receipts) {
      // The ledger's word wins: a receipt names its purpose(s) at the top or in `purposes`.
      for (const p of r.purpose ? [r] : r.purposes || []) final[p.purpose] = r.action === "grant";
    }
    const last = receipts[receipts.length - 1];
    const same = saved && saved.s === res.subject_id;
    saved = {
      s: res.subject_id,
      r: last ? last.receipt_id : same ? saved.r : "",
      v: res.notice_version || cfg.notice_version,
      c: final,
    };
    writeCookie(saved);
    render();
    const fromBanner = banner.contains(deepActive());
    banner.hidden = true;
    fab.hidden = false;
    if (!overlay.hidden) closeDialog();
    else if (fromBanner) fab.focus();
    const detail = { choices: Object.assign({}, final), receiptId: saved.r };
    document.dispatchEvent(new CustomEvent("tutela:consent", { detail }));
  }

  window.TutelaConsent = {
    open: openDialog,
    choices: () => (saved ? Object.assign({}, saved.c) : null),
  };

  const domReady = new Promise((ok) => {
    if (document.readyState !== "loading") ok();
    else document.addEventListener("DOMContentLoaded", ok, { once: true });
  });

  (async () => {
    try {
      cfg = await api("GET", "/v1/consents/config");
    } catch (e) {
      return console.warn("Tutela consent: configuration not loaded:", e.message || e);
    }
    if (!Array.isArray(cfg.purposes) || !cfg.purposes.length) return; // nothing to ask
    gpc = !!cfg.gpc;
    await domReady;
    build();
    if (saved && saved.v === cfg.notice_version) {
      fab.hidden = false;
      // A GPC signal now opts out what an earlier choice allowed to be sold or shared.
      const sold = cfg.purposes.filter((p) => gpc && p.sale_or_share && saved.c[p.name]);
      if (sold.length) save(Object.fromEntries(sold.map((p) => [p.name, false])));
    } else showBanner(!!saved);
    if (wantOpen) openDialog();
  })();
})();
