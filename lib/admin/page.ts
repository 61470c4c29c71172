/**
 * The operator's page, served by the admin endpoint at `GET /`: one HTML document with its CSS
 * and script inline — no build step, no external assets, works offline — and a strict
 * Content-Security-Policy that allows exactly that script and that style (by SHA-256 hash) and
 * connections to the serving node only.
 *
 * The document is a constant: it holds no node data, so it is served without the admin token.
 * Everything the page shows comes from `GET /events` (see `events.ts`), which requires the token
 * like every other admin path. When a token is configured the page asks for it, keeps it in the
 * tab's `sessionStorage` and sends it as `Authorization: Bearer …` on a `fetch()` stream — never
 * in the URL, and never as a cookie or other ambient credential (so another site cannot make the
 * browser use it).
 *
 * Everything rendered is set with `textContent` (no `innerHTML`): session ids and log text come
 * from counterparties.
 *
 * @module
 */

const STYLE = String.raw`
:root { color-scheme: light; --ok: #17803d; --warn: #a15c00; --bad: #b3261e; --mute: #5f6368;
  --line: #dadce0; --bg: #f8f9fa; --info: #1a5fb4; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: var(--bg); color: #202124; }
header { display: flex; gap: 16px; align-items: baseline; padding: 10px 20px; background: #202124;
  color: #fff; }
header h1 { font-size: 18px; margin: 0; font-weight: 600; }
#conn { font-size: 13px; }
#conn.live { color: #81c995; } #conn.down { color: #f28b82; } #conn.stale { color: #fdd663; }
main { padding: 12px 20px; }
#nodes { display: flex; flex-wrap: wrap; gap: 14px; }
section.node { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
  flex: 1 1 640px; min-width: 0; }
section.node.unreachable { border-color: var(--bad); background: #fff5f5; }
section.node.unreachable dl, section.node.unreachable table { opacity: .55; }
.title { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.title h2 { margin: 0; font-size: 17px; }
.badge { font-weight: 700; font-size: 12px; letter-spacing: .05em; padding: 2px 8px; border-radius: 10px;
  color: #fff; background: var(--mute); text-transform: uppercase; }
.badge.primary, .badge.standalone { background: var(--ok); }
.badge.secondary { background: var(--info); }
.badge.unreachable { background: var(--bad); }
.epoch { font-weight: 600; }
.err { color: var(--bad); margin: 6px 0; overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
dt { color: var(--mute); } dd { margin: 0; overflow-wrap: anywhere; }
h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--mute);
  margin: 12px 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
.scroll { overflow-x: auto; }
th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid var(--line);
  vertical-align: top; overflow-wrap: break-word; }
th { color: var(--mute); font-weight: 600; }
td.t { white-space: nowrap; }
td.k { overflow-wrap: anywhere; min-width: 14em; }
td.n { font-variant-numeric: tabular-nums; text-align: right; padding-right: 12px; }
.on { color: var(--ok); font-weight: 600; } .off { color: var(--mute); }
.lvl-warn { color: var(--warn); font-weight: 600; } .lvl-error { color: var(--bad); font-weight: 600; }
#warnings { margin-top: 16px; background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 10px 14px; }
#warnings td.f { color: var(--mute); font-family: ui-monospace, monospace; font-size: 12px; }
#login { max-width: 420px; margin: 40px auto; background: #fff; border: 1px solid var(--line);
  border-radius: 8px; padding: 16px; }
#login input { width: 100%; padding: 6px; font: inherit; margin: 8px 0; }
.hidden { display: none; }
button { font: inherit; }
`;

const SCRIPT = String.raw`
"use strict";
(function () {
  var TOKEN_KEY = "tandem-admin-token";
  var token = sessionStorage.getItem(TOKEN_KEY);
  var lastAt = 0;
  var refreshMs = 1000;
  var backoffMs = 500;
  var current = null; // AbortController of the open stream
  var lastByteAt = 0;
  var connEl = document.getElementById("conn");
  var nodesEl = document.getElementById("nodes");
  var warnEl = document.getElementById("warnbody");
  var loginEl = document.getElementById("login");
  var mainEl = document.getElementById("main");

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function field(e, key) { e.setAttribute("data-k", key); return e; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(ms) {
    if (typeof ms !== "number" || !isFinite(ms) || ms <= 0) return "–";
    var d = new Date(ms);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + " UTC";
  }
  // Ages are taken on the clock that stamped both times (never the browser's).
  function ago(ms, nowMs) {
    if (typeof ms !== "number" || ms <= 0 || typeof nowMs !== "number") return "never";
    var s = Math.max(0, Math.round((nowMs - ms) / 1000));
    return s < 120 ? s + " s ago" : Math.round(s / 60) + " min ago";
  }
  function hms(ts) {
    var m = /T(\d\d:\d\d:\d\d(\.\d+)?)/.exec(String(ts));
    return m ? m[1] : String(ts);
  }
  function num(v) { return typeof v === "number" && isFinite(v) ? v : null; }
  function rate(v) { return typeof v === "number" ? v.toFixed(1) : "–"; }
  function setConn(cls, text) { connEl.className = cls; connEl.textContent = text; }
  function row(cells) {
    var tr = el("tr");
    for (var i = 0; i < cells.length; i++) tr.appendChild(cells[i]);
    return tr;
  }
  function table(headers, rows, key) {
    var t = el("table");
    if (key) field(t, key);
    var thead = el("thead");
    var hr = el("tr");
    for (var i = 0; i < headers.length; i++) hr.appendChild(el("th", headers[i][1] || "", headers[i][0]));
    thead.appendChild(hr);
    var tb = el("tbody");
    for (var j = 0; j < rows.length; j++) tb.appendChild(rows[j]);
    t.appendChild(thead);
    t.appendChild(tb);
    var box = el("div", "scroll");
    box.appendChild(t);
    return box;
  }
  function pair(dl, label, value, key) {
    dl.appendChild(el("dt", "", label));
    dl.appendChild(field(el("dd", "", value), key));
  }

  function lastPromotion(repl) {
    var ts = (repl && repl.transitions) || [];
    for (var i = ts.length - 1; i >= 0; i--) {
      var t = ts[i];
      if (t && t.to && t.to.role === "leader" && (!t.from || t.from.role !== "leader")) {
        // Why it happened is on the step into candidacy (a command or link silence).
        var prev = ts[i - 1];
        var why = prev && prev.to && prev.to.role === "candidate" ? prev.reason : t.reason;
        return { atMs: t.atMs, to: t.to, reason: why };
      }
    }
    return null;
  }

  function sessionState(s, role) {
    if (s.heldByOperator) return ["held by operator", "off"];
    if (s.loggedOn) return ["logged on", "on"];
    if (s.connected) return ["connected", "on"];
    if (s.served) return ["waiting", "off"];
    return [role === "secondary" ? "standby (replicated)" : "not served", "off"];
  }

  function renderNode(card, atMs) {
    var st = card.status || {};
    var sec = el("section", "node" + (card.reachable ? "" : " unreachable"));
    var name = typeof st.nodeId === "string" ? st.nodeId : (card.url || "this node");
    sec.setAttribute("data-node", name);
    var title = el("div", "title");
    title.appendChild(field(el("h2", "", name), "node"));
    var role = typeof st.role === "string" ? st.role : "unknown";
    title.appendChild(field(el("span", "badge " + (card.reachable ? role : "unreachable"),
      card.reachable ? role : "unreachable"), "role"));
    title.appendChild(field(el("span", "epoch", "epoch " + (num(st.epoch) === null ? "–" : st.epoch)), "epoch"));
    title.appendChild(el("span", "off", card.url ? "peer " + card.url : "serving this page"));
    sec.appendChild(title);
    if (!card.reachable) {
      sec.appendChild(field(el("div", "err", (card.error || "unreachable") +
        " — last seen " + ago(card.seenAtMs, atMs) + (card.status ? "; below: what it last reported" : "")), "error"));
      if (!card.status) return sec;
    }
    var dl = el("dl");
    var gateway = st.role === "initiator" || st.nodeRole === "initiator";
    if (gateway) {
      pair(dl, "node role", "initiator (gateway)", "nodeRole");
    } else {
      pair(dl, "accepting logons", st.acceptingLogons ? "yes" : "no", "accepting");
      pair(dl, "FIX port", st.fixPort == null ? "–" : st.fixPort, "fixPort");
    }
    var j = st.journal || {};
    var rd = card.ready;
    pair(dl, "ready", rd ? (rd.ready ? "yes" : "no") + " — " + rd.reason : "–", "ready");
    pair(dl, "journal last index", num(j.lastIndex) === null ? "–" : j.lastIndex, "lastIndex");
    var repl = st.replication;
    var promo = lastPromotion(repl);
    pair(dl, "last failover", promo
      ? "epoch " + (promo.to.epoch == null ? "?" : promo.to.epoch) + " at " + clock(promo.atMs) + " (" + promo.reason + ")"
      : "none since start", "lastFailover");
    if (repl) {
      var f = repl.follower;
      if (f) {
        pair(dl, "replication", "following " + (f.leaderId || "?") + ": " + f.state, "replState");
        pair(dl, "lag", f.lagRecords + " records, " + f.lagMs + " ms; last heard " + ago(f.lastHeardAtMs, card.nodeAtMs), "lag");
      } else if (repl.leader) {
        pair(dl, "replication", "leading, " + repl.leader.followers.length + " follower(s)", "replState");
      } else {
        pair(dl, "replication", repl.role && repl.role.role ? String(repl.role.role) : "–", "replState");
      }
      if (repl.lastError) pair(dl, "replication error", repl.lastError, "replError");
    }
    sec.appendChild(dl);
    if (repl && repl.leader && repl.leader.followers.length > 0) {
      sec.appendChild(el("h3", "", "Followers"));
      var frows = [];
      for (var k = 0; k < repl.leader.followers.length; k++) {
        var fl = repl.leader.followers[k];
        frows.push(row([el("td", "", fl.nodeId), el("td", "", fl.remoteAddr), el("td", "", fl.state),
          field(el("td", "n", fl.ackedIndex), "ackedIndex"), field(el("td", "n", fl.lagRecords), "lagRecords"),
          field(el("td", "n", fl.lagMs), "lagMs")]));
      }
      sec.appendChild(table([["node"], ["address"], ["state"], ["acked", "n"], ["lag records", "n"], ["lag ms", "n"]], frows, "followers"));
    }
    sec.appendChild(el("h3", "", "Sessions"));
    var srows = [];
    var initiator = gateway;
    var sessions = Array.isArray(st.sessions) ? st.sessions : [];
    for (var i = 0; i < sessions.length; i++) {
      var s = sessions[i];
      var r = (card.rates || {})[s.key] || {};
      var state = sessionState(s, st.role);
      var cells = [
        field(el("td", "k", s.key), "session"),
        field(el("td", state[1], state[0]), "state"),
        field(el("td", "n", s.nextSenderSeqNum), "nextSenderSeqNum"),
        field(el("td", "n", s.nextTargetSeqNum), "nextTargetSeqNum"),
        field(el("td", "", s.address == null ? "–" : s.address), "address"),
        field(el("td", "n", card.reachable ? rate(r.inPerS) : "–"), "inPerS"),
        field(el("td", "n", card.reachable ? rate(r.outPerS) : "–"), "outPerS"),
      ];
      if (initiator) {
        var lf = s.lastFailover;
        cells.push(field(el("td", "", lf ? clock(lf.atMs) + " (address " + lf.fromIndex + " → " + lf.toIndex + ")" : "–"),
          "sessionFailover"));
      }
      var tr = row(cells);
      tr.setAttribute("data-session", String(s.key));
      srows.push(tr);
    }
    var heads = [["session"], ["state"], ["next out seq", "n"], ["next in seq", "n"], ["address"],
      ["in msg/s", "n"], ["out msg/s", "n"]];
    if (initiator) heads.push(["last failover"]);
    sec.appendChild(table(heads, srows, "sessions"));
    return sec;
  }

  function render(snap) {
    refreshMs = snap.refreshMs || refreshMs;
    lastAt = Date.now();
    var cards = [];
    for (var i = 0; i < snap.nodes.length; i++) cards.push(renderNode(snap.nodes[i], snap.atMs));
    nodesEl.replaceChildren.apply(nodesEl, cards);
    var rows = [];
    for (var j = snap.warnings.length - 1; j >= 0; j--) {
      var w = snap.warnings[j];
      var when = el("td", "t", hms(w.ts));
      when.title = String(w.ts);
      rows.push(row([when, el("td", "t", w.node), el("td", "t lvl-" + w.level, w.level),
        field(el("td", "", w.msg), "warning"), el("td", "f", w.fields)]));
    }
    if (rows.length === 0) {
      var none = el("td", "off", "no warnings");
      none.colSpan = 5;
      rows.push(row([none]));
    }
    warnEl.replaceChildren.apply(warnEl, rows);
    setConn("live", "live — updated " + clock(snap.atMs));
  }

  function askToken(message) {
    mainEl.classList.add("hidden");
    loginEl.classList.remove("hidden");
    document.getElementById("loginmsg").textContent = message;
    setConn("down", "token required");
  }

  document.getElementById("loginform").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = document.getElementById("token");
    token = input.value;
    input.value = "";
    sessionStorage.setItem(TOKEN_KEY, token);
    loginEl.classList.add("hidden");
    mainEl.classList.remove("hidden");
    connect();
  });
  document.getElementById("forget").addEventListener("click", function () {
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    if (current) current.abort("forget");
    current = null;
    askToken("Token forgotten. Enter the admin token to watch this node.");
  });

  function handle(block) {
    var event = "message";
    var data = [];
    var lines = block.split("\n");
    for (var i = 0; i < lines.length; i++) {
      var l = lines[i];
      if (l.indexOf("event:") === 0) event = l.slice(6).trim();
      else if (l.indexOf("data:") === 0) data.push(l.slice(5).replace(/^ /, ""));
    }
    if (data.length === 0) return;
    if (event === "snapshot") render(JSON.parse(data.join("\n")));
  }

  async function connect() {
    var headers = {};
    if (token) headers.authorization = "Bearer " + token;
    var ctl = new AbortController();
    current = ctl;
    lastByteAt = Date.now();
    try {
      var res = await fetch("events", { headers: headers, cache: "no-store", signal: ctl.signal });
      if (res.status === 401) {
        current = null;
        askToken(token ? "The token was refused. Enter the admin token." :
          "This node requires the admin token.");
        return;
      }
      if (res.status !== 200 || !res.body) throw new Error("HTTP " + res.status);
      backoffMs = 500;
      setConn("live", "live");
      var reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      var buf = "";
      while (true) {
        var part = await reader.read();
        if (part.done) break;
        lastByteAt = Date.now();
        buf += part.value.replace(/\r\n?/g, "\n");
        var at;
        while ((at = buf.indexOf("\n\n")) >= 0) {
          handle(buf.slice(0, at));
          buf = buf.slice(at + 2);
        }
      }
      throw new Error("the node closed the stream");
    } catch (err) {
      if (ctl.signal.aborted && ctl.signal.reason === "forget") return;
      if (ctl.signal.aborted) err = new Error("no data for " + Math.round((Date.now() - lastByteAt) / 1000) + " s");
      setConn("down", "disconnected (" + (err && err.message ? err.message : err) + ") — retrying");
      setTimeout(connect, backoffMs);
      backoffMs = Math.min(backoffMs * 2, 5000);
    }
  }

  // A node that hangs keeps the stream open and silent: say so, then drop it and connect again.
  setInterval(function () {
    if (lastAt > 0 && Date.now() - lastAt > 3 * refreshMs && connEl.className === "live") {
      setConn("stale", "no update for " + Math.round((Date.now() - lastAt) / 1000) + " s");
    }
    if (current && Date.now() - lastByteAt > Math.max(5 * refreshMs, 5000)) {
      current.abort("silent");
      current = null;
    }
  }, 1000);
  connect();
})();
`;

const BODY = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Tandem — operator's page</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Tandem — operator's page</h1><span id="conn" class="down">connecting…</span>
<button id="forget" type="button">forget token</button></header>
<div id="login" class="hidden">
<p id="loginmsg"></p>
<form id="loginform"><label for="token">Admin token</label>
<input id="token" type="password" autocomplete="off" required>
<button type="submit">Watch</button></form>
</div>
<main id="main">
<div id="nodes"></div>
<div id="warnings"><h3>Recent warnings and errors (newest first)</h3>
<table><thead><tr><th>time (UTC)</th><th>node</th><th>level</th><th>message</th><th>fields</th></tr></thead>
<tbody id="warnbody"></tbody></table></div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

async function sha256Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** The page's HTML and its Content-Security-Policy (hashes of the inline script and style). */
export interface OpsPage {
  readonly html: string;
  readonly csp: string;
}

let built: Promise<OpsPage> | undefined;

/** Builds the page once (hashing its inline script and style) and returns it. */
export function opsPage(): Promise<OpsPage> {
  built ??= (async () => {
    const html = BODY;
    const csp = [
      "default-src 'none'",
      `script-src 'sha256-${await sha256Base64(SCRIPT)}'`,
      `style-src 'sha256-${await sha256Base64(STYLE)}'`,
      "connect-src 'self'",
      "img-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; ");
    return { html, csp };
  })();
  return built;
}

/** Answers `GET /`: the page, with its CSP and headers that keep it out of frames and caches. */
export async function opsPageResponse(): Promise<Response> {
  const page = await opsPage();
  return new Response(page.html, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": page.csp,
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    },
  });
}
