// The chat page's script: /chat on its own, or /chat?embed=1 inside a site's widget
// (/widget.js), which tells it by postMessage when its panel opens and closes and hears back
// only "ready", "close" and "a new message" (for the unread badge): never its words.
(() => {
  const params = new URLSearchParams(location.search);
  const EMBED = params.get("embed") === "1" && window.parent !== window;
  // The browser tab's key from the widget: names the cookie that resumes this tab's chat.
  const TAB = /^[A-Za-z0-9]{16,64}$/.test(params.get("tab") || "") ? params.get("tab") : "";
  const LANG = params.get("lang") === "es" ? "es" : "en";
  const WORDS = {
    en: {
      intro: "Bills, appointments and refills. In an emergency, call 911.",
      label: "Type your message", send: "Send", typing: "Assistant is typing…",
      quick: "Quick replies", quickSaid: " quick replies: ",
      who: {patient: "You said: ", agent: "Our team said: ", system: "Notice: ", bot: "Assistant said: "},
      agent: (name) => "You are now talking to " + (name || "a person") + " from our team.",
      waiting: "Waiting for someone from our team. They can see this conversation.",
      problem: "Sorry, I'm having a brief technical problem. I'll keep trying to send your message.",
      ended: "Your earlier chat ended after 15 minutes. Starting a new one.",
      failed: "Sorry, the message didn't go through. Please check your connection and try again.",
      greeting: "Hi! I can help with bills, appointments and prescription refills. What can I do for you?",
      only: "",
      end: "End chat",
      cleared: "This chat has ended and was cleared from this page.",
    },
    es: {
      intro: "Facturas, citas y recetas. En una emergencia, llame al 911.",
      label: "Escriba su mensaje", send: "Enviar", typing: "El asistente está escribiendo…",
      quick: "Respuestas rápidas", quickSaid: " respuestas rápidas: ",
      who: {patient: "Usted dijo: ", agent: "Nuestro equipo dijo: ", system: "Aviso: ", bot: "El asistente dijo: "},
      agent: (name) => "Ahora habla con " + (name || "una persona") + " de nuestro equipo.",
      waiting: "Esperando a alguien de nuestro equipo. Pueden ver esta conversación.",
      problem: "Lo siento, tengo un problema técnico breve. Seguiré intentando enviar su mensaje.",
      ended: "Su chat anterior terminó después de 15 minutos. Empezamos uno nuevo.",
      failed: "Lo siento, el mensaje no se envió. Revise su conexión e inténtelo de nuevo.",
      greeting: "¡Hola! Puedo ayudarle con facturas, citas y recetas. ¿En qué le puedo ayudar?",
      only: "",
      end: "Terminar el chat",
      cleared: "Este chat terminó y se borró de esta página.",
    },
  }[LANG];
  // A site's opening words for its page ("Questions about your bill?"), shown as text only.
  const GREETING = (params.get("greeting") || "").trim().slice(0, 200) || WORDS.greeting;
  // The greeting's starting choices (bills, appointments, refills, a person), written into
  // the page by the service in each language; a new session offers the same ones.
  const GREETING_CHOICES = (() => {
    try { return JSON.parse(document.getElementById("choices").dataset.greeting)[LANG] || []; } catch (e) { return []; }
  })();

  document.documentElement.lang = LANG;
  if (EMBED) document.body.classList.add("embed");
  document.getElementById("intro").textContent = WORDS.intro;
  document.querySelector("label[for=text]").textContent = WORDS.label;
  document.getElementById("text").placeholder = WORDS.label;
  document.getElementById("send").textContent = WORDS.send;
  document.getElementById("typing").textContent = WORDS.typing;
  document.getElementById("choices").setAttribute("aria-label", WORDS.quick);
  const endButton = document.getElementById("end");
  endButton.textContent = WORDS.end;

  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const typing = document.getElementById("typing");
  const KEY = "patient-chat";
  // In a site's widget the browser may refuse this frame any storage (third-party storage
  // blocked): the token then lives in memory, and a partitioned cookie brings the session
  // back on the site's next page (/channels/web/resume).
  const store = {
    get: () => { try { return JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { return null; } },
    set: (value) => { try { sessionStorage.setItem(KEY, JSON.stringify(value)); } catch (e) { /* in memory only */ } },
    clear: () => { try { sessionStorage.removeItem(KEY); } catch (e) { /* nothing kept */ } },
  };
  let auth = store.get();

  const fmt = (t) => new Date(t * 1000).toLocaleTimeString([], {hour: "numeric", minute: "2-digit"});

  // Web addresses in our messages (the payment link) can be tapped when they point to our own
  // pages (or the page's own origin); anything else, an agent's typing included, and all of a
  // patient's words stay text. Built as elements, never as HTML.
  const URL_IN_TEXT = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)])/g;
  const LINK_ORIGINS = (() => {
    try { return [location.origin, ...JSON.parse(document.getElementById("log").dataset.linkOrigins)]; } catch (e) { return [location.origin]; }
  })();
  const ours = (url) => { try { return LINK_ORIGINS.includes(new URL(url).origin); } catch (e) { return false; } };
  function appendText(parent, text, links) {
    if (!links) { parent.appendChild(document.createTextNode(text)); return; }
    text.split(URL_IN_TEXT).forEach((piece, i) => {
      if (i % 2 === 1 && ours(piece)) {
        const a = document.createElement("a");
        a.href = piece; a.textContent = piece; a.target = "_blank"; a.rel = "noopener noreferrer";
        parent.appendChild(a);
      } else if (piece) {
        parent.appendChild(document.createTextNode(piece));
      }
    });
  }

  function addMessage(role, text, at, local) {
    const div = document.createElement("div");
    div.className = "msg " + role;
    const who = document.createElement("span");
    who.className = "sr-only";
    who.textContent = WORDS.who[role] || WORDS.who.bot;
    div.appendChild(who);
    appendText(div, text, role !== "patient");
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = fmt(at || Date.now() / 1000);
    div.appendChild(time);
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    if (role !== "patient" && !local) noticed();
  }

  const choices = document.getElementById("choices");
  const announce = document.getElementById("announce");

  // Choices a reply offered take the focus when they come (send); the greeting's do not:
  // the page opens on the text box.
  let replyChoices = false;

  function addChoices(buttons, fromReply = true) {
    choices.replaceChildren();
    replyChoices = fromReply && !!(buttons && buttons.length);
    if (!buttons || !buttons.length) return;
    buttons.forEach((b) => {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.addEventListener("click", () => send(b.payload, b.title));
      choices.appendChild(btn);
    });
    announce.textContent = buttons.length + WORDS.quickSaid + buttons.map((b) => b.title).join(", ");
    log.scrollTop = log.scrollHeight;  // they take room: keep the last message in view
  }

  const focusNext = () => ((replyChoices && choices.querySelector("button")) || input).focus();

  const stateBar = document.getElementById("state");
  let events = null;

  function showState(state, agent) {
    if (state === "agent") { stateBar.hidden = false; stateBar.textContent = WORDS.agent(agent); }
    else if (state === "waiting") { stateBar.hidden = false; stateBar.textContent = WORDS.waiting; }
    else { stateBar.hidden = true; stateBar.textContent = ""; }
    log.scrollTop = log.scrollHeight;  // the banner takes room: keep the last message in view
  }

  function listen() {
    if (events) events.close();
    events = new EventSource("/channels/web/events?token=" + encodeURIComponent(auth.token));
    events.addEventListener("message", (e) => { const m = JSON.parse(e.data); addMessage(m.role, m.text, m.at); });
    events.addEventListener("state", (e) => { const s = JSON.parse(e.data); showState(s.state, s.agent); });
  }

  // 503: the service could not take the request just now (a store it needs is away). Say so
  // once, then send the same request again, within two minutes: a message keeps its client
  // id, so the service takes it once however many times it is sent.
  const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
  async function retrying(request) {
    let r = await request();
    let told = false;
    const giveUp = Date.now() + 120000;
    while (r.status === 503 && Date.now() < giveUp) {
      if (!told) {
        const n = document.createElement("div");
        n.className = "notice";
        n.setAttribute("role", "status");
        n.textContent = ((await r.json().catch(() => ({}))).detail) || WORDS.problem;
        log.appendChild(n);
        log.scrollTop = log.scrollHeight;
        told = true;
      }
      await sleep(Math.min(10, Number(r.headers.get("Retry-After")) || 3) * 1000);
      r = await request();
    }
    return r;
  }

  async function startSession() {
    // The page's language is the conversation's too: the assistant answers in it.
    const query = new URLSearchParams();
    if (EMBED && TAB) query.set("tab", TAB);
    if (LANG !== "en") query.set("lang", LANG);
    const r = await retrying(() => fetch("/channels/web/sessions" + (query.toString() ? "?" + query : ""), {method: "POST"}));
    if (!r.ok) throw new Error(String(r.status));
    auth = await r.json();
    store.set(auth);
    endButton.hidden = false;
    listen();
    openSocket();
    tell({type: "pa-chat:active", active: true});
  }

  async function restore() {
    if (!auth && EMBED && TAB) {
      const resumed = await fetch("/channels/web/resume?tab=" + TAB, {method: "POST"}).catch(() => null);
      if (resumed && resumed.status === 200) auth = await resumed.json();
    }
    if (!auth) return false;
    const r = await fetch("/channels/web/history", {headers: {Authorization: "Bearer " + auth.token}});
    if (!r.ok) { store.clear(); auth = null; return false; }
    const data = await r.json();
    data.messages.forEach((m) => addMessage(m.role, m.text, m.at, true));
    addChoices(data.buttons || []);  // the open choices stay buttons after a reload
    showState(data.state, data.agent);
    endButton.hidden = false;
    listen();
    openSocket();
    tell({type: "pa-chat:active", active: true});
    return true;
  }

  // The conversation goes over a WebSocket; when it cannot open (a proxy, a network that
  // drops it) or does not answer in time, the same message goes over REST. Each message has
  // a client id, sent both ways, so the service takes it once and a re-sent message gets the
  // first one's answer; an answer is shown once, whichever way it came. Agent messages
  // arrive by EventSource.
  let ws = null;
  let wsReady = false;
  const waiters = new Map();
  const shown = new Set();

  const newId = () => (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
    : Date.now().toString(36) + Math.random().toString(36).slice(2);

  function showReply(id, data) {
    if (shown.has(id)) return;
    shown.add(id);
    data.messages.forEach((m) => addMessage("bot", m.text));
    const last = data.messages[data.messages.length - 1];
    if (last) addChoices(last.buttons);
    if (data.state) showState(data.state, data.agent);
  }

  function openSocket() {
    if (!auth || !("WebSocket" in window)) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    try {
      ws = new WebSocket(proto + "//" + location.host + "/channels/web/ws?token=" + encodeURIComponent(auth.token));
    } catch (e) { ws = null; return; }
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === "ready") { wsReady = true; return; }
      if (m.type !== "messages" && m.type !== "error") return;
      const id = m.client_id || waiters.keys().next().value;
      const w = waiters.get(id);
      waiters.delete(id);
      if (w) { if (m.type === "messages") w.resolve(m); else w.reject(new Error(m.detail)); }
      else if (m.type === "messages" && m.client_id) showReply(m.client_id, m);  // came late
    };
    ws.onclose = () => {
      wsReady = false; ws = null;
      waiters.forEach((w) => w.reject(new Error("closed")));
      waiters.clear();
    };
  }

  function viaSocket(text, id) {
    return new Promise((resolve, reject) => {
      waiters.set(id, {resolve, reject});
      ws.send(JSON.stringify({text, client_id: id}));
      setTimeout(() => { if (waiters.delete(id)) reject(new Error("timeout")); }, 60000);
    });
  }

  async function viaRest(text, id) {
    let r = await post(text, id);
    if (r.status === 401) {
      const n = document.createElement("div");
      n.className = "notice";
      n.textContent = WORDS.ended;
      log.appendChild(n);
      await startSession();
      r = await post(text, id);
    }
    // 429: too fast; 409: the socket's try at this same message is still being answered
    // (its answer is shown if it comes late, so these words do not count as the answer).
    if (r.status === 429 || r.status === 409) return {notice: (await r.json()).detail};
    if (!r.ok) throw new Error(String(r.status));
    return r.json();
  }

  // Bumped when the patient ends the chat: an answer still on its way is not shown.
  let chatNumber = 0;

  async function send(text, shownAs) {
    if (!text.trim()) return;
    const mine = chatNumber;
    addChoices([]);
    addMessage("patient", shownAs || text);
    typing.hidden = false;
    const id = newId();
    try {
      if (!auth) await startSession();
      let data = null;
      if (wsReady) {
        try { data = await viaSocket(text, id); } catch (e) { data = null; }
      }
      if (!data && !shown.has(id) && mine === chatNumber) data = await viaRest(text, id);
      if (mine !== chatNumber) return;
      if (data && data.notice) addMessage("bot", data.notice);
      else if (data) showReply(id, data);
    } catch (e) {
      if (mine === chatNumber) addMessage("bot", WORDS.failed);
    } finally {
      if (mine === chatNumber) {
        typing.hidden = true;
        focusNext();
      }
    }
  }

  function post(text, id) {
    return retrying(() => fetch("/channels/web/messages", {
      method: "POST",
      headers: {"Content-Type": "application/json", Authorization: "Bearer " + auth.token},
      body: JSON.stringify({text, client_id: id}),
    }));
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = input.value;
    input.value = "";
    send(text);
  });

  // --- In a site's widget ---------------------------------------------------------------
  // The site's page is the parent; /chat?embed=1 is framed only by the origins listed in
  // WIDGET_ALLOWED_ORIGINS (frame-ancestors), so the parent's origin, learnt from its first
  // message, is one of them. Messages go to that origin only, and are taken only from it.
  let parentOrigin = null;
  let open = !EMBED;

  function tell(message) {
    if (EMBED && parentOrigin) window.parent.postMessage(message, parentOrigin);
  }

  // A message from the bot or our team: unread while the panel is closed.
  function noticed() {
    if (open) return;
    tell({type: "pa-chat:new"});
  }

  if (EMBED) {
    window.addEventListener("message", (e) => {
      if (e.source !== window.parent || !e.data || typeof e.data.type !== "string") return;
      if (parentOrigin === null && e.data.type === "pa-chat:hello") parentOrigin = e.origin;
      if (e.origin !== parentOrigin) return;
      if (e.data.type === "pa-chat:hello") {
        open = !!e.data.open;
        tell({type: "pa-chat:ready", active: !!auth});
      } else if (e.data.type === "pa-chat:open") {
        open = true;
        focusNext();
      } else if (e.data.type === "pa-chat:close") {
        open = false;
      }
    });
    // Keys pressed in here never reach the site's page: Escape is passed on to close.
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") tell({type: "pa-chat:close"});
    });
  }

  function greet() {
    addMessage("bot", GREETING, undefined, true);
    if (WORDS.only) addMessage("system", WORDS.only, undefined, true);
    addChoices(GREETING_CHOICES, false);
    tell({type: "pa-chat:active", active: false});
  }

  // "End chat" (a shared computer): the session ends on the service (its token stops
  // working, the embedded chat's cookie goes), and at once, whether or not that answers,
  // nothing of the chat is left on the page or in its storage: the next person starts afresh.
  function endChat() {
    const ended = auth;
    chatNumber += 1;
    auth = null;
    store.clear();
    if (events) { events.close(); events = null; }
    if (ws) { ws.onmessage = null; ws.onclose = null; ws.close(); ws = null; }
    wsReady = false;
    waiters.forEach((w) => w.reject(new Error("ended")));
    waiters.clear();
    shown.clear();
    typing.hidden = true;
    log.replaceChildren();
    addChoices([]);
    showState("bot");
    endButton.hidden = true;
    input.value = "";
    if (ended || (EMBED && TAB)) {
      const query = EMBED && TAB ? "?tab=" + TAB : "";
      fetch("/channels/web/end" + query, {method: "POST", keepalive: true,
        headers: ended ? {Authorization: "Bearer " + ended.token} : {}}).catch(() => {});
    }
    const n = document.createElement("div");
    n.className = "notice";
    n.textContent = WORDS.cleared;
    log.appendChild(n);
    greet();
    input.focus();
  }
  endButton.addEventListener("click", endChat);

  restore().then((had) => {
    if (!had) greet();
    // In a site's page the panel may be closed: the focus moves in when it opens.
    if (!EMBED) input.focus();
  });
})();
