/* The chat on a site's own pages. A web team adds one line to a page:
     <script src="https://assistant.example.org/widget.js" defer></script>
   with, if they like, data-title, data-color ("#0b5cad"), data-position ("left"),
   data-lang ("en" or "es"), data-greeting ("Questions about your bill?"), data-sound ("on").
   It draws a launcher button in a shadow root (no styles or globals shared with the
   page). The conversation runs in a frame of our own /chat page, on our origin, so the
   page's scripts cannot read it; the two talk by postMessage, each checking the other's
   origin, and say only "open", "close", "ready" and "a new message" (never its words). */
(function () {
  "use strict";
  var CONFIG = /*CONFIG*/{"origins": [], "clinic": "Riverside Health"}/*END*/;
  var script = document.currentScript;
  if (!script || document.querySelector("[data-pa-chat]")) return;
  var BASE = new URL(script.src).origin;
  var here = location.origin;
  if (here !== BASE && CONFIG.origins.indexOf(here) < 0) {
    console.error(CONFIG.clinic + " chat: not shown on " + here + ": this site is not in " +
      "WIDGET_ALLOWED_ORIGINS of " + BASE + ". Add " + here + " there to show the chat.");
    return;
  }
  var opts = script.dataset;
  var lang = (opts.lang || navigator.language || "en").slice(0, 2).toLowerCase() === "es" ? "es" : "en";
  var T = {
    en: {open: "Chat with us", close: "Close", closeName: "Close chat", title: "Chat with " + CONFIG.clinic,
         unread: function (n) { return n === 1 ? "1 unread message" : n + " unread messages"; },
         failed: "Sorry, the chat could not load. Please try again later, or call us."},
    es: {open: "Chatee con nosotros", close: "Cerrar", closeName: "Cerrar chat", title: "Chat con " + CONFIG.clinic,
         unread: function (n) { return n === 1 ? "1 mensaje sin leer" : n + " mensajes sin leer"; },
         failed: "Lo siento, el chat no se pudo cargar. Inténtelo más tarde o llámenos."}
  }[lang];
  var title = (opts.title || T.title).slice(0, 80);

  // Brand colour: a hex colour only; its text black or white, whichever reads better.
  var colour = /^#([0-9a-f]{3}){1,2}$/i.test(opts.color || "") ? opts.color : "#0b5cad";
  function luminance(hex) {
    var h = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, "$&$&").slice(1) : hex.slice(1);
    return [0, 2, 4].map(function (i) {
      var v = parseInt(h.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    }).reduce(function (sum, v, i) { return sum + v * [0.2126, 0.7152, 0.0722][i]; }, 0);
  }
  var L = luminance(colour);
  var ink = 1.05 / (L + 0.05) >= (L + 0.05) / 0.0634 ? "#fff" : "#1b1f24";

  // Open or closed, a conversation going on, messages unread: kept in this site's
  // sessionStorage (no words of the conversation), so they follow the patient to the
  // site's next page. The conversation itself is kept by the chat, on our origin.
  var KEY = "pa-chat-widget";
  var state = {open: false, active: false, unread: 0, tab: ""};
  try { Object.assign(state, JSON.parse(sessionStorage.getItem(KEY)) || {}); } catch (e) { /* none kept */ }
  // This tab's key: the chat's session is resumed in this tab only, as /chat's is.
  if (!/^[A-Za-z0-9]{32}$/.test(state.tab)) {
    state.tab = Array.prototype.map.call(crypto.getRandomValues(new Uint8Array(16)),
      function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function save() {
    try { sessionStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* not kept */ }
  }

  // An element of our own name, so the site's rules for div or button do not match it.
  var host = document.createElement("pa-chat-widget");
  host.setAttribute("data-pa-chat", "");
  host.style.cssText = "all:initial";
  var root = host.attachShadow({mode: "open"});
  var css =
    ":host{all:initial}*{box-sizing:border-box}" +
    ".w{font:16px/1.3 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f24}" +
    "button{font:inherit;cursor:pointer}" +
    ".launcher{position:fixed;bottom:20px;right:20px;z-index:2147483000;display:flex;align-items:center;gap:8px;" +
    "min-height:48px;padding:0 18px 0 14px;border:0;border-radius:24px;background:var(--c);color:var(--ink);" +
    "font-weight:600;box-shadow:0 2px 10px rgba(0,0,0,.3)}" +
    ".badge{min-width:24px;height:24px;padding:0 7px;border-radius:12px;background:#b3261e;color:#fff;" +
    "font-size:14px;display:inline-flex;align-items:center;justify-content:center;border:2px solid #fff}" +
    ".badge[hidden],.panel[hidden]{display:none}" +
    ".panel{position:fixed;bottom:80px;right:20px;z-index:2147483000;width:380px;max-width:calc(100vw - 40px);" +
    "height:min(640px,calc(100vh - 100px));display:flex;flex-direction:column;background:#fff;" +
    "border-radius:12px;overflow:hidden;box-shadow:0 8px 30px rgba(0,0,0,.35)}" +
    ".left .launcher,.left .panel{right:auto;left:20px}" +
    ".bar{display:flex;align-items:center;justify-content:space-between;gap:8px;background:var(--c);" +
    "color:var(--ink);padding:2px 4px 2px 16px;font-weight:600}" +
    ".bar h2{font-size:1rem;margin:0}" +
    ".close{display:flex;align-items:center;gap:6px;min-height:44px;min-width:44px;padding:0 12px;border:0;" +
    "border-radius:8px;background:transparent;color:inherit}" +
    "button:focus-visible{outline:3px solid var(--ink);outline-offset:-5px}" +
    ".launcher:focus-visible{outline:3px solid #1b1f24;outline-offset:3px;box-shadow:0 0 0 3px #fff}" +
    "iframe{flex:1;width:100%;border:0;background:#f4f6f9}" +
    ".error{padding:16px}" +
    "@media (max-width:480px){.panel,.left .panel{inset:0;width:100%;max-width:none;height:100%;border-radius:0}" +
    ".open .launcher{display:none}}";
  // A constructed style sheet: a site whose policy forbids inline styles still styles it.
  if (root.adoptedStyleSheets && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
    css = "";
  }
  root.innerHTML = (css ? "<style>" + css + "</style>" : "") +
    "<div class='w'>" +
    "<button class='launcher' type='button' aria-expanded='false'>" +
    "<svg width='22' height='22' viewBox='0 0 24 24' aria-hidden='true' focusable='false'>" +
    "<path fill='currentColor' d='M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z'/></svg>" +
    "<span class='label'></span><span class='badge' hidden></span></button>" +
    "<div class='panel' role='dialog' hidden><div class='bar'><h2></h2>" +
    "<button class='close' type='button'><span aria-hidden='true'>\u2715</span><span class='closeText'></span></button>" +
    "</div></div></div>";
  var box = root.querySelector(".w");
  var launcher = root.querySelector(".launcher");
  var badge = root.querySelector(".badge");
  var panel = root.querySelector(".panel");
  var closeButton = root.querySelector(".close");
  box.style.setProperty("--c", colour);
  box.style.setProperty("--ink", ink);
  if (opts.position === "left") box.classList.add("left");
  root.querySelector(".label").textContent = T.open;
  root.querySelector("h2").textContent = title;
  root.querySelector(".closeText").textContent = T.close;
  closeButton.setAttribute("aria-label", T.closeName);
  panel.setAttribute("aria-label", title);

  var frame = null;
  var ready = false;
  var focusOnReady = false;
  var waiting = null;

  function post(message) {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage(message, BASE);
  }

  function failed() {
    var p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = T.failed;
    frame.replaceWith(p);
    frame = null;
  }

  // Made on first open, or at once when a conversation is going on (its history, and
  // replies arriving while the panel is closed); nothing is loaded from us before.
  function makeFrame() {
    if (frame) return;
    var query = new URLSearchParams({embed: "1", lang: lang, tab: state.tab});
    if (opts.greeting) query.set("greeting", opts.greeting.slice(0, 200));
    frame = document.createElement("iframe");
    frame.title = title;
    frame.src = BASE + "/chat?" + query;
    frame.addEventListener("load", function () { post({type: "pa-chat:hello", open: state.open}); });
    panel.appendChild(frame);
    waiting = setTimeout(function () { if (!ready) failed(); }, 10000);
  }

  function show() {
    var n = state.unread;
    badge.hidden = !n || state.open;
    badge.textContent = n > 9 ? "9+" : String(n);
    launcher.setAttribute("aria-label", n && !state.open ? T.open + ", " + T.unread(n) : T.open);
    launcher.setAttribute("aria-expanded", String(state.open));
    panel.hidden = !state.open;
    box.classList.toggle("open", state.open);
  }

  var audio = null;
  function chime() {
    if (!audio) return;
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    gain.gain.value = 0.05;
    osc.frequency.value = 880;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.15);
  }

  function open() {
    state.open = true;
    state.unread = 0;
    save();
    show();
    // A sound for new messages only where the site asked for it; made on this click, as
    // browsers let a page play sound only after the person has used it.
    if (opts.sound === "on" && !audio && window.AudioContext) audio = new AudioContext();
    makeFrame();
    if (ready) {
      frame.focus();
      post({type: "pa-chat:open"});
    } else {
      focusOnReady = true;
    }
  }

  function close() {
    state.open = false;
    save();
    show();
    post({type: "pa-chat:close"});
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (state.open) close(); else open(); });
  closeButton.addEventListener("click", close);
  root.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && state.open) close();
  });

  window.addEventListener("message", function (e) {
    if (e.origin !== BASE || !frame || e.source !== frame.contentWindow) return;
    var m = e.data || {};
    if (m.type === "pa-chat:ready") {
      ready = true;
      clearTimeout(waiting);
      state.active = !!m.active;
      if (state.open && focusOnReady) {
        focusOnReady = false;
        frame.focus();
        post({type: "pa-chat:open"});
      }
    } else if (m.type === "pa-chat:active") {
      state.active = !!m.active;
    } else if (m.type === "pa-chat:new" && !state.open) {
      state.unread = Math.min(99, state.unread + 1);
      chime();
    } else if (m.type === "pa-chat:close" && state.open) {
      close();
      return;
    }
    save();
    show();
  });

  document.body.appendChild(host);
  show();
  if (state.open || state.active) makeFrame();
})();
