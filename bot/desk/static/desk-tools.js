// The desk's working tools: saved replies ("/" in the reply box), private notes, follow-up
// closes and the team's follow-up tasks, and the search of closed conversations.
// desk.html tells this script what happens through events: desk:opened, desk:controls,
// desk:signedout; it asks window.deskTools.closeExtras() before a close.
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    Object.entries(props).forEach(([k, v]) => {
      if (k === "text") node.textContent = v;
      else if (k in node && typeof v !== "string") node[k] = v;
      else node.setAttribute(k, v);
    });
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };
  const token = () => sessionStorage.getItem("desk-token");
  const api = (path, opts = {}) => fetch(path, {...opts, headers: {"Content-Type": "application/json", Authorization: "Bearer " + token()}});
  const detailOf = async (r) => { const d = (await r.json().catch(() => ({}))).detail; return typeof d === "string" ? d : "check the fields and try again"; };
  const announce = (text) => { $("announcer").textContent = ""; setTimeout(() => { $("announcer").textContent = text; }, 30); };
  // Promises to patients are in the clinic's time zone (the context says which).
  let clinicZone = "America/New_York";
  const zone = () => clinicZone;
  // When something happened at the desk: the agent's own clock, as the transcript shows it.
  const at = (iso) => new Date(iso).toLocaleString([], {month: "short", day: "numeric", hour: "numeric", minute: "2-digit"});
  const when = (iso) => new Date(iso).toLocaleString("en-US", {timeZone: zone(), weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit"});
  let opened = null;  // the open conversation: {id, state, context, ...}
  const LANGUAGE_NAMES = {en: "English", es: "Spanish"};
  const languageName = (code) => LANGUAGE_NAMES[code] || code.toUpperCase();
  // A reply with no text in the conversation's language comes in English: said plainly.
  const inEnglishWords = (r) => "In English: no " + languageName(r.language_missing) + " text saved";

  const style = el("style", {text: `
    #saved-replies { position:absolute; bottom:100%; left:12px; right:12px; max-height:220px; overflow-y:auto; margin:0 0 4px; padding:4px 0; list-style:none; background:#fff; border:1px solid var(--line); border-radius:8px; box-shadow:0 2px 8px #0002; z-index:5; }
    #saved-replies li { padding:6px 10px; cursor:pointer; }
    #saved-replies li[aria-selected="true"] { background:var(--selected); }
    #saved-replies .meta { display:block; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
    #saved-replies li[aria-disabled="true"] { color:var(--muted); cursor:not-allowed; }
    #saved-replies li[aria-disabled="true"] strong { text-decoration:line-through; }
    .lang-missing { display:block; color:var(--urgent); font-weight:600; font-size:.85rem; }
    #replies-dialog { border:1px solid var(--line); border-radius:10px; padding:16px 20px; width:min(720px, 94vw); }
    #replies-dialog h2 { font-size:1.05rem; margin:0 0 8px; }
    #replies-list { list-style:none; margin:0 0 12px; padding:0; max-height:36vh; overflow-y:auto; }
    #replies-list li { display:flex; gap:8px; align-items:flex-start; border-bottom:1px solid var(--line); padding:6px 0; }
    #replies-list li > div { flex:1; min-width:0; }
    #replies-list .meta { display:block; white-space:pre-wrap; }
    #reply-form { display:grid; grid-template-columns:1fr 1fr; gap:6px 12px; }
    #reply-form label { display:flex; flex-direction:column; font-weight:600; font-size:.85rem; gap:2px; }
    #reply-form .wide { grid-column:1 / -1; }
    #reply-form input, #reply-form select, #reply-form textarea { font:inherit; font-weight:normal; padding:6px; border:1px solid #767f8c; border-radius:6px; }
    #reply-form .row { display:flex; gap:8px; justify-content:flex-end; }
    #manage-replies { background:transparent; color:#fff; border-color:#fff8; min-height:30px; padding:3px 10px; }
    #reply { position:relative; }
    #follow-up-fields { display:flex; gap:8px; align-items:center; flex-wrap:wrap; width:100%; }
    #follow-up-fields input { font:inherit; padding:5px; border:1px solid #767f8c; border-radius:6px; }
    #follow-up-fields input[type=text] { flex:1; min-width:14em; }
    .tools-error { color:var(--urgent); }
    #notes, #tasks { margin-top:14px; border-top:1px solid var(--line); padding-top:8px; }
    #notes h3, #tasks h2 { font-size:.9rem; margin:4px 0; }
    #notes ul, #task-list { list-style:none; margin:0; padding:0; }
    #notes li { background:#fff8e1; border:1px solid #e9d9a6; border-radius:6px; padding:6px 8px; margin:6px 0; white-space:pre-wrap; }
    #notes textarea, #tasks textarea { width:100%; font:inherit; padding:6px; border:1px solid #767f8c; border-radius:6px; min-height:48px; }
    #tasks { margin:0 12px 12px; }
    #task-list li { border:1px solid var(--line); border-radius:8px; padding:8px; margin:6px 0; background:#fff; }
    #task-list li.due { border-color:var(--urgent); }
    .badge.due { background:var(--urgent); color:#fff; }
    #history { padding:12px 16px; overflow-y:auto; }
    #history form { display:grid; grid-template-columns:repeat(auto-fill, minmax(190px, 1fr)); gap:8px 12px; align-items:end; background:#fff; padding:12px; border:1px solid var(--line); border-radius:8px; }
    #history label { display:flex; flex-direction:column; font-weight:600; font-size:.85rem; gap:2px; }
    #history input, #history select { font:inherit; padding:6px; border:1px solid #767f8c; border-radius:6px; font-weight:normal; }
    #history table { width:100%; border-collapse:collapse; background:#fff; margin-top:10px; font-size:.9rem; }
    #history th, #history td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); }
    #history-view { display:grid; grid-template-columns:1fr 300px; gap:12px; margin-top:12px; }
    #history-transcript { background:var(--bg); border:1px solid var(--line); border-radius:8px; padding:12px; display:flex; flex-direction:column; gap:8px; max-height:60vh; overflow-y:auto; }
    #history-side { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px; }
    #history-side dt { font-weight:600; margin-top:8px; }
    #history-side dd { margin:0; white-space:pre-line; }
    #show-history { background:transparent; color:#fff; border-color:#fff8; min-height:30px; padding:3px 10px; }
  `});
  document.head.appendChild(style);

  // --- saved replies ---------------------------------------------------------------------
  let replies = [];
  let matches = [];
  let active = -1;
  const box = $("reply-text");
  const popup = el("ul", {id: "saved-replies", role: "listbox", "aria-label": "Saved replies", hidden: true});
  $("reply").appendChild(popup);
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", "saved-replies");
  box.setAttribute("aria-expanded", "false");

  async function loadReplies(id) {
    const r = await api("/api/desk/saved-replies?handoff_id=" + id);
    if (!opened || opened.id !== id) return;  // another conversation opened meanwhile
    replies = r.ok ? await r.json() : [];
    // "/" typed before they arrived (right after Accept): show them now.
    if (document.activeElement === box && slashQuery()) showPopup();
  }

  const slashQuery = () => {
    const before = box.value.slice(0, box.selectionStart);
    const m = /(^|\s)\/([\w-]*)$/.exec(before);
    return m ? {query: m[2].toLowerCase(), start: before.length - m[2].length - 1} : null;
  };

  function closePopup() {
    popup.hidden = true; active = -1; matches = [];
    box.setAttribute("aria-expanded", "false"); box.removeAttribute("aria-activedescendant");
  }

  function showPopup() {
    const q = slashQuery();
    if (!q) { closePopup(); return; }
    matches = replies.filter((r) => r.shortcut.startsWith(q.query) || r.title.toLowerCase().includes(q.query));
    popup.innerHTML = "";
    if (!matches.length) { closePopup(); return; }
    matches.forEach((r, i) => {
      // Not offered here (its condition does not hold for this patient): listed with why.
      const off = r.available === false;
      const li = el("li", {id: "saved-reply-" + r.id, role: "option", "aria-selected": "false", "aria-disabled": String(off)},
        el("strong", {text: "/" + r.shortcut}), " " + r.title,
        r.language_missing ? el("span", {class: "lang-missing", text: inEnglishWords(r)}) : null,
        el("span", {class: "meta", lang: off ? "en" : r.language || "en", text: off ? "Not offered: " + r.unavailable_reason : (r.text || r.body)}));
      li.addEventListener("mousedown", (e) => { e.preventDefault(); insert(i); });
      popup.appendChild(li);
    });
    popup.hidden = false; box.setAttribute("aria-expanded", "true");
    select(0);
  }

  function select(i) {
    active = (i + matches.length) % matches.length;
    [...popup.children].forEach((li, j) => li.setAttribute("aria-selected", String(j === active)));
    box.setAttribute("aria-activedescendant", popup.children[active].id);
    popup.children[active].scrollIntoView({block: "nearest"});
  }

  function insert(i) {
    const q = slashQuery();
    const reply = matches[i];
    if (!q || !reply) return;
    if (reply.available === false) {
      closePopup();
      $("status").textContent = "/" + reply.shortcut + " is not offered here: " + reply.unavailable_reason;
      announce($("status").textContent);
      return;
    }
    const text = reply.text || reply.body;
    box.value = box.value.slice(0, q.start) + text + box.value.slice(box.selectionStart);
    const caret = q.start + text.length;
    box.setSelectionRange(caret, caret);
    closePopup();
    const missing = reply.missing || [];
    const said = [missing.length ? "Fill in before sending: " + missing.map((m) => m.replace(/_/g, " ")).join(", ") + "." : "Inserted /" + reply.shortcut + "."];
    if (reply.language_missing) {
      const lang = languageName(reply.language_missing);
      said.unshift("This is in English: /" + reply.shortcut + " has no " + lang + " text, and this conversation is in " + lang + ".");
    }
    $("status").textContent = said.join(" ");
    announce($("status").textContent);
  }

  box.addEventListener("input", showPopup);
  box.addEventListener("blur", () => setTimeout(closePopup, 150));
  box.addEventListener("keydown", (e) => {
    if (!popup.hidden) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); select(active + (e.key === "ArrowDown" ? 1 : -1)); return; }
      if (e.key === "Enter" || e.key === "Tab") { e.preventDefault(); insert(active); return; }
      if (e.key === "Escape") { e.preventDefault(); closePopup(); return; }
    }
    // Enter sends; Shift+Enter makes a new line (the textarea's own behaviour).
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("reply").requestSubmit();
    }
  });
  // A saved reply's unfilled {placeholder} never reaches a patient (Enter or the Send button):
  // caught on the way down, before the page's own submit handler.
  document.addEventListener("submit", (e) => {
    if (e.target !== $("reply") || !/\{[a-z_]+\}/.test(box.value)) return;
    e.preventDefault(); e.stopPropagation();
    $("status").textContent = "Fill in the {placeholders} before sending.";
    announce($("status").textContent);
  }, true);

  // --- managing saved replies: list, add, edit, delete (each change audited) -------------
  const CONDITION_WORDS = {"": "Always", verified: "Only when the patient is verified",
    has_balance: "Only when they owe something", has_appointment: "Only with an upcoming appointment",
    plan_eligible: "Only when they can set up a payment plan"};
  const TEAM_WORDS = {billing: "Billing", scheduling: "Scheduling", pharmacy: "Pharmacy", nurse: "Nurse line", general: "General"};
  const PLACEHOLDER_HELP = "Placeholders: {first_name} {balance} {balance_due_date} {appointment_time} {appointment_provider} "
    + "{plan_options} {plan_monthly} {plan_minimum} {agent_name} {clinic_name} {clinic_phone}. "
    + "Plan placeholders come from billing: such a reply is offered only when the patient can have a plan.";
  const rShortcut = el("input", {id: "reply-shortcut", type: "text", maxlength: "40", pattern: "[a-z0-9_-]{1,40}", required: true, autocomplete: "off"});
  const rTitle = el("input", {id: "reply-title", type: "text", maxlength: "120", required: true});
  const rBody = el("textarea", {id: "reply-body", rows: "4", maxlength: "1600", required: true, "aria-describedby": "reply-help"});
  // Spanish, optional: Spanish conversations are offered it instead of the English.
  const rTitleEs = el("input", {id: "reply-title-es", type: "text", maxlength: "120", lang: "es"});
  const rBodyEs = el("textarea", {id: "reply-body-es", rows: "4", maxlength: "1600", lang: "es", "aria-describedby": "reply-help-es"});
  // Both or neither: a title alone would offer an empty reply.
  const syncSpanish = () => { const some = Boolean(rTitleEs.value.trim() || rBodyEs.value.trim()); rTitleEs.required = some; rBodyEs.required = some; };
  rTitleEs.addEventListener("input", syncSpanish); rBodyEs.addEventListener("input", syncSpanish);
  const rTeam = el("select", {id: "reply-team"});
  const rCondition = el("select", {id: "reply-condition"});
  Object.entries(CONDITION_WORDS).forEach(([v, t]) => rCondition.add(new Option(t, v)));
  const rError = el("p", {id: "reply-error", class: "tools-error", role: "alert"});
  const rSave = el("button", {type: "submit", class: "primary", text: "Add reply"});
  const rCancel = el("button", {type: "button", text: "Cancel edit", hidden: true});
  const replyForm = el("form", {id: "reply-form", "aria-labelledby": "reply-form-title"},
    el("h3", {id: "reply-form-title", class: "wide", text: "New saved reply"}),
    el("label", {for: "reply-shortcut"}, "Shortcut (after /)", rShortcut),
    el("label", {for: "reply-title"}, "Title", rTitle),
    el("label", {for: "reply-body", class: "wide"}, "What the patient reads", rBody),
    el("p", {id: "reply-help", class: "meta wide", text: PLACEHOLDER_HELP}),
    el("label", {for: "reply-title-es"}, "Spanish title (optional)", rTitleEs),
    el("label", {for: "reply-body-es", class: "wide"}, "What a Spanish-speaking patient reads (optional)", rBodyEs),
    el("p", {id: "reply-help-es", class: "meta wide", text: "Write it as you would say it to the patient (usted), with the same placeholders. "
      + "Without it, Spanish conversations are offered the English text, marked as English."}),
    el("label", {for: "reply-team"}, "Team", rTeam),
    el("label", {for: "reply-condition"}, "Offer it", rCondition),
    el("div", {class: "wide"}, rError),
    el("div", {class: "row wide"}, rCancel, rSave));
  const repliesList = el("ul", {id: "replies-list", "aria-label": "Saved replies of your teams"});
  const repliesClose = el("button", {type: "button", text: "Close"});
  const repliesDialog = el("dialog", {id: "replies-dialog", "aria-labelledby": "replies-title"},
    el("div", {class: "row", style: "display:flex;justify-content:space-between;align-items:center"},
      el("h2", {id: "replies-title", text: "Saved replies"}), repliesClose),
    el("p", {class: "meta", text: "Every change is recorded with your name."}), repliesList, replyForm);
  document.body.appendChild(repliesDialog);
  const manage = el("button", {id: "manage-replies", type: "button", text: "Saved replies", hidden: true});
  $("who").before(manage);
  let editing = null;  // the reply being edited, or null for a new one

  function resetReplyForm() {
    editing = null; replyForm.reset(); syncSpanish(); rError.textContent = "";
    $("reply-form-title").textContent = "New saved reply"; rSave.textContent = "Add reply"; rCancel.hidden = true;
  }
  function fillTeams() {
    const profile = JSON.parse(sessionStorage.getItem("desk-profile") || "{}");
    const all = (profile.roles || []).includes("supervisor") ? Object.keys(TEAM_WORDS) : (profile.teams || []);
    rTeam.innerHTML = "";
    rTeam.add(new Option("Every team", ""));
    all.forEach((t) => rTeam.add(new Option(TEAM_WORDS[t] || t, t)));
  }
  async function loadManaged() {
    const r = await api("/api/desk/saved-replies");
    repliesList.innerHTML = "";
    if (!r.ok) { repliesList.appendChild(el("li", {class: "meta", text: "Could not load them: " + await detailOf(r)})); return; }
    const all = await r.json();
    if (!all.length) repliesList.appendChild(el("li", {class: "meta", text: "No saved replies yet."}));
    all.forEach((reply) => {
      const edit = el("button", {type: "button", text: "Edit"});
      edit.setAttribute("aria-label", "Edit /" + reply.shortcut);
      const del = el("button", {type: "button", text: "Delete"});
      del.setAttribute("aria-label", "Delete /" + reply.shortcut);
      edit.addEventListener("click", () => {
        editing = reply; fillTeams();
        rShortcut.value = reply.shortcut; rTitle.value = reply.title; rBody.value = reply.body;
        rTeam.value = reply.team || ""; rCondition.value = reply.condition || "";
        const es = (reply.texts || {}).es;
        rTitleEs.value = es ? es.title : ""; rBodyEs.value = es ? es.body : ""; syncSpanish();
        $("reply-form-title").textContent = "Edit /" + reply.shortcut; rSave.textContent = "Save changes"; rCancel.hidden = false;
        rError.textContent = ""; rShortcut.focus();
      });
      // Two steps: the first press asks, the second deletes.
      del.addEventListener("click", async () => {
        if (del.dataset.confirm !== "1") { del.dataset.confirm = "1"; del.textContent = "Delete /" + reply.shortcut + "?"; return; }
        const gone = await api("/api/desk/saved-replies/" + reply.id, {method: "DELETE"});
        announce(gone.ok ? "Deleted /" + reply.shortcut + "." : "Not deleted: " + await detailOf(gone));
        if (editing && editing.id === reply.id) resetReplyForm();
        await changed();
      });
      repliesList.appendChild(el("li", {id: "managed-reply-" + reply.id},
        el("div", {}, el("strong", {text: "/" + reply.shortcut}), " " + reply.title,
          el("span", {class: "meta", text: (reply.team ? TEAM_WORDS[reply.team] || reply.team : "Every team") + " · " + CONDITION_WORDS[reply.condition || ""]}),
          el("span", {class: "meta", text: reply.body}),
          el("span", {class: "meta", lang: (reply.texts || {}).es ? "es" : "en",
            text: (reply.texts || {}).es ? "Spanish: " + reply.texts.es.body : "No Spanish text: Spanish conversations get the English."})), edit, del));
    });
  }
  async function changed() {
    await loadManaged();
    if (opened && opened.state === "mine") await loadReplies(opened.id);
  }
  replyForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    // Texts in languages the form does not show are kept as they are.
    const texts = {...(editing ? editing.texts || {} : {})};
    delete texts.es;
    if (rTitleEs.value.trim() || rBodyEs.value.trim()) texts.es = {title: rTitleEs.value.trim(), body: rBodyEs.value.trim()};
    const body = {shortcut: rShortcut.value.trim(), title: rTitle.value.trim(), body: rBody.value.trim(),
      team: rTeam.value || null, condition: rCondition.value || null, texts};
    const r = await api(editing ? "/api/desk/saved-replies/" + editing.id : "/api/desk/saved-replies",
      {method: editing ? "PUT" : "POST", body: JSON.stringify(body)});
    if (!r.ok) { rError.textContent = await detailOf(r); return; }
    announce((editing ? "Saved /" : "Added /") + body.shortcut + ".");
    resetReplyForm();
    await changed();
  });
  rCancel.addEventListener("click", resetReplyForm);
  repliesClose.addEventListener("click", () => repliesDialog.close());
  manage.addEventListener("click", async () => {
    resetReplyForm(); fillTeams(); await loadManaged();
    repliesDialog.showModal(); rShortcut.focus();
  });

  // --- follow-up close ------------------------------------------------------------------
  const what = el("input", {id: "follow-up-what", type: "text", maxlength: "500", "aria-describedby": "follow-up-help"});
  const due = el("input", {id: "follow-up-due", type: "datetime-local"});
  const fields = el("div", {id: "follow-up-fields", hidden: true},
    el("label", {for: "follow-up-what", text: "What needs doing"}), what,
    el("label", {for: "follow-up-due", text: "Get back by (clinic time)"}), due,
    el("span", {id: "follow-up-help", class: "meta", text: "The patient is told who will get back to them and by when."}));
  $("actions").appendChild(fields);
  const syncFields = () => { fields.hidden = $("disposition").hidden || $("disposition").value !== "follow_up"; };
  $("disposition").addEventListener("change", () => {
    syncFields();
    if (!fields.hidden && !due.value) {
      // Default: tomorrow at 10:00, clinic time.
      const t = new Date(Date.now() + 86400000);
      const day = t.toLocaleDateString("en-CA", {timeZone: zone()});
      due.value = day + "T10:00";
    }
  });

  function closeExtras() {
    if ($("disposition").value !== "follow_up") return {};
    const missing = [];
    if (what.value.trim().length < 3) missing.push("what needs doing");
    if (!due.value) missing.push("when");
    if (missing.length) {
      $("status").textContent = "A follow-up needs " + missing.join(" and ") + ".";
      announce($("status").textContent);
      (what.value.trim().length < 3 ? what : due).focus();
      return null;
    }
    return {follow_up: {what: what.value.trim(), due_at: due.value + ":00"}};
  }

  // --- notes (in the context card) ------------------------------------------------------
  async function showNotes(d) {
    const r = await api("/api/desk/handoffs/" + d.id + "/notes");
    if (!r.ok || !opened || opened.id !== d.id) return;
    const notes = await r.json();
    const section = el("section", {id: "notes", "aria-labelledby": "notes-title"},
      el("h3", {id: "notes-title", text: "Private notes (never sent to the patient)"}));
    const list = el("ul");
    const item = (n) => el("li", {}, el("small", {class: "meta", text: (n.kind === "transfer" ? "Transfer note" : n.kind === "follow_up" ? "Follow-up" : "Note") + " · " + (n.author || "system") + " · " + at(n.at)}), el("div", {text: n.text}));
    notes.forEach((n) => list.appendChild(item(n)));
    if (!notes.length) list.appendChild(el("li", {class: "meta", text: "No notes yet."}));
    section.appendChild(list);
    if (d.state !== "closed") {
      const text = el("textarea", {id: "note-text", maxlength: "2000"});
      const form = el("form", {id: "note-form"}, el("label", {for: "note-text", class: "sr-only", text: "Private note"}), text,
        el("button", {type: "submit", text: "Add note"}));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        if (!text.value.trim()) return;
        const added = await api("/api/desk/handoffs/" + d.id + "/notes", {method: "POST", body: JSON.stringify({text: text.value})});
        if (!added.ok) { announce("Note not saved: " + await detailOf(added)); return; }
        if (list.querySelector("li.meta")) list.innerHTML = "";
        list.appendChild(item(await added.json()));
        text.value = ""; announce("Note saved. Only the desk sees it.");
      });
      section.appendChild(form);
    }
    // Read again while the agent types another note: keep what they were writing.
    const draft = $("note-text"), typing = draft && document.activeElement === draft;
    const keep = draft ? draft.value : "";
    const old = $("notes"); if (old) old.remove();
    $("context").appendChild(section);
    if ($("note-text")) { $("note-text").value = keep; if (typing) $("note-text").focus(); }
  }

  // --- the team's follow-up tasks (under the queue) -------------------------------------
  const tasks = el("section", {id: "tasks", "aria-labelledby": "tasks-title"},
    el("h2", {id: "tasks-title", text: "Follow-ups"}), el("ul", {id: "task-list"}));
  $("queue").appendChild(tasks);

  async function loadTasks() {
    if (!token() || $("app").hidden) return;
    const r = await api("/api/desk/follow-ups");
    if (!r.ok) return;
    const items = await r.json();
    const list = $("task-list");
    const keep = list.querySelector("textarea:focus") ? null : true;
    if (!keep) return;  // someone is typing a follow-up: refresh later
    list.innerHTML = "";
    if (!items.length) list.appendChild(el("li", {class: "meta", text: "None open."}));
    items.forEach((t) => {
      const state = t.status === "scheduled" ? "Text goes " + when(t.send_at)
        : t.status === "blocked" ? t.blocked_reason : (t.due ? "Overdue" : "Open");
      const li = el("li", {class: t.due ? "due" : ""},
        el("div", {}, t.due ? el("span", {class: "badge due", text: "Due"}) : null, el("strong", {text: t.patient})),
        el("div", {text: t.what}),
        el("div", {class: "meta", text: state + " · by " + when(t.due_at) + (t.created_by ? " · promised by " + t.created_by : "")}));
      if (t.status === "open" || t.status === "blocked") {
        const id = "task-text-" + t.id;
        const text = el("textarea", {id, maxlength: "1600"});
        const send = el("button", {type: "submit", class: "primary", text: "Send to patient"});
        const done = el("button", {type: "button", text: "Done, no text"});
        const form = el("form", {}, el("label", {for: id, class: "meta", text: "Message to " + t.patient}), text, send, done);
        form.addEventListener("submit", async (e) => {
          e.preventDefault();
          if (!text.value.trim()) return;
          const r2 = await api("/api/desk/follow-ups/" + t.id + "/message", {method: "POST", body: JSON.stringify({text: text.value})});
          const body = r2.ok ? await r2.json() : null;
          announce(!body ? "Not sent: " + await detailOf(r2)
            : body.status === "sent" ? "Sent to " + t.patient + "."
            : body.status === "scheduled" ? "It is night at the clinic: it goes at " + when(body.send_at) + "."
            : body.blocked_reason);
          text.blur(); loadTasks();
        });
        done.addEventListener("click", async () => {
          const r2 = await api("/api/desk/follow-ups/" + t.id + "/done", {method: "POST"});
          announce(r2.ok ? "Follow-up done." : "Could not mark it done: " + await detailOf(r2));
          loadTasks();
        });
        li.appendChild(form);
      }
      list.appendChild(li);
    });
  }
  setInterval(loadTasks, 20000);

  // --- closed conversations -------------------------------------------------------------
  const history = el("main", {id: "history", "aria-labelledby": "history-title", hidden: true});
  const field = (label, input) => el("label", {}, label, input);
  const hName = el("input", {id: "history-name", type: "text", autocomplete: "off"});
  const hDob = el("input", {id: "history-dob", type: "date"});
  const hPhone = el("input", {id: "history-phone", type: "tel", autocomplete: "off"});
  const hReason = el("input", {id: "history-reason", type: "text"});
  const hFrom = el("input", {id: "history-from", type: "date"});
  const hTo = el("input", {id: "history-to", type: "date"});
  const hTeam = el("select", {id: "history-team"});
  [["", "Any team"], ["billing", "Billing"], ["scheduling", "Scheduling"], ["pharmacy", "Pharmacy"], ["nurse", "Nurse line"], ["general", "General"]].forEach(([v, t]) => hTeam.add(new Option(t, v)));
  const hDisposition = el("select", {id: "history-disposition"});
  [["", "Any outcome"], ["resolved", "Resolved"], ["follow_up", "Follow-up needed"], ["transferred", "Transferred"]].forEach(([v, t]) => hDisposition.add(new Option(t, v)));
  const hStatus = el("p", {id: "history-status", class: "meta", role: "status"});
  const form = el("form", {id: "history-form", "aria-describedby": "history-help"},
    field("Patient's full name", hName), field("Date of birth", hDob), field("or phone", hPhone),
    field("Why you are looking them up (recorded)", hReason), field("Closed from", hFrom), field("Closed to", hTo),
    field("Team", hTeam), field("Outcome", hDisposition), el("button", {type: "submit", class: "primary", text: "Search"}));
  const results = el("table", {"aria-labelledby": "history-title"},
    el("thead", {}, el("tr", {}, ...["Closed", "Patient", "Channel", "Team", "Outcome", "Closed by", ""].map((h) => el("th", {scope: "col", text: h})))),
    el("tbody", {id: "history-rows"}));
  const view = el("section", {id: "history-view", "aria-label": "Closed conversation, read-only", hidden: true},
    el("div", {}, el("h3", {id: "history-view-title", tabindex: "-1"}), el("div", {id: "history-transcript", role: "log", "aria-live": "off", "aria-label": "Closed transcript"})),
    el("aside", {id: "history-side", "aria-label": "Closed conversation context"}));
  history.append(el("h2", {id: "history-title", text: "Closed conversations"}),
    el("p", {id: "history-help", class: "meta", text: "Find a patient by full name and date of birth, or by phone; each look-up is recorded with your reason. Or search by date, team and outcome."}),
    form, hStatus, results, view);
  document.body.appendChild(history);
  const toggle = el("button", {id: "show-history", type: "button", "aria-pressed": "false", text: "History", hidden: true});
  $("who").before(toggle);

  function showHistory(on) {
    history.hidden = !on; $("app").hidden = on;
    if ($("review")) $("review").hidden = true;
    toggle.setAttribute("aria-pressed", String(on));
    toggle.textContent = on ? "Back to the queue" : "History";
    if (on) hName.focus();
  }
  toggle.addEventListener("click", () => showHistory(history.hidden));
  document.querySelectorAll("#views button").forEach((b) => b.addEventListener("click", () => {
    if (!history.hidden) { history.hidden = true; toggle.setAttribute("aria-pressed", "false"); toggle.textContent = "History"; }
  }));

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {name: hName.value.trim() || null, date_of_birth: hDob.value || null, phone: hPhone.value.trim() || null,
      reason: hReason.value.trim() || null, closed_from: hFrom.value || null, closed_to: hTo.value || null,
      team: hTeam.value || null, disposition: hDisposition.value || null};
    const r = await api("/api/desk/history/search", {method: "POST", body: JSON.stringify(body)});
    const rows = $("history-rows");
    rows.innerHTML = ""; view.hidden = true;
    if (!r.ok) { hStatus.textContent = await detailOf(r); return; }
    const found = await r.json();
    hStatus.textContent = found.length ? found.length + (found.length === 1 ? " closed conversation" : " closed conversations") + ", newest first." : "No closed conversations match.";
    const outcomes = {resolved: "Resolved", follow_up: "Follow-up needed", transferred: "Transferred"};
    found.forEach((h) => {
      const openBtn = el("button", {type: "button", text: "Open"});
      openBtn.setAttribute("aria-label", "Open " + h.patient + ", closed " + when(h.closed_at));
      openBtn.addEventListener("click", () => openClosed(h.id));
      rows.appendChild(el("tr", {}, el("td", {text: when(h.closed_at)}), el("td", {text: h.patient}), el("td", {text: h.channel.toUpperCase()}),
        el("td", {text: h.team || "general"}), el("td", {text: outcomes[h.disposition] || "–"}), el("td", {text: h.closed_by || "–"}), el("td", {}, openBtn)));
    });
  });

  async function openClosed(id) {
    const r = await api("/api/desk/history/" + id);
    if (!r.ok) { hStatus.textContent = "Could not open it: " + await detailOf(r); return; }
    const d = await r.json();
    const log = $("history-transcript");
    log.innerHTML = "";
    const roles = {patient: "Patient", bot: "Assistant", agent: "Agent", system: "Notice"};
    const who = (t) => (t.role === "agent" && t.agent) || roles[t.role] || t.role;
    d.transcript.forEach((t) => log.appendChild(el("div", {class: "turn " + t.role}, el("small", {text: who(t) + " · " + at(t.at)}), t.text)));
    const p = d.context.patient;
    const side = $("history-side");
    side.innerHTML = "";
    const dl = el("dl");
    const row = (k, v) => dl.append(el("dt", {text: k}), el("dd", {text: v}));
    row("Outcome", {resolved: "Resolved", follow_up: "Follow-up needed", transferred: "Transferred"}[d.context.disposition] || "–");
    row("Closed", when(d.context.closed_at) + (d.context.accepted_by ? " by " + d.context.accepted_by : ""));
    if (p) row("Patient", p.name + " (" + p.mrn + ")");
    d.follow_ups.forEach((f) => row("Follow-up", f.what + " · by " + when(f.due_at) + " · " + f.status));
    d.notes.forEach((n) => row("Note · " + (n.author || "system"), n.text));
    side.append(el("p", {class: "meta", text: "Read-only: this conversation is closed."}), dl);
    $("history-view-title").textContent = (p ? p.name : "Closed conversation") + " · read-only";
    view.hidden = false;
    $("history-view-title").focus();
  }

  // --- what desk.html tells us ----------------------------------------------------------
  document.addEventListener("desk:opened", (e) => {
    opened = e.detail;
    clinicZone = (opened.context && opened.context.clinic_timezone) || clinicZone;
    closePopup(); what.value = ""; due.value = ""; $("disposition").value = "resolved"; syncFields();
    replies = [];
    if (opened.state === "mine") loadReplies(opened.id);
    showNotes(opened);
    loadTasks();
  });
  document.addEventListener("desk:controls", (e) => {
    syncFields();
    if (!e.detail.state) { opened = null; closePopup(); }
  });
  document.addEventListener("desk:signedout", () => {
    opened = null; toggle.hidden = true; manage.hidden = true; history.hidden = true; $("task-list").innerHTML = "";
    if (repliesDialog.open) repliesDialog.close();
  });
  // Signed in: the desk shows its app; then the tools show too.
  const watch = new MutationObserver(() => {
    toggle.hidden = !$("login").hidden || !token();
    manage.hidden = toggle.hidden;
    if (!$("app").hidden) loadTasks();
  });
  watch.observe($("app"), {attributes: true, attributeFilter: ["hidden"]});
  watch.observe($("login"), {attributes: true, attributeFilter: ["hidden"]});

  // A note added anywhere: the open conversation's notes are read again.
  const noteAdded = (id) => { if (opened && opened.id === id) showNotes(opened); };
  window.deskTools = {closeExtras, loadTasks, noteAdded};
})();
