// Adds new deliveries to the top of the Deliveries page as the stream stores them, from the
// server-sent events at table[data-live]. Text goes in through textContent only: a delivery's
// fields are untrusted.
"use strict";
(function () {
  const table = document.getElementById("deliveries");
  if (!table || !table.dataset.live || !window.EventSource) return;
  const body = table.tBodies[0];
  const status = document.getElementById("live-status");
  const older = document.getElementById("older");
  const empty = document.getElementById("no-deliveries");
  const max = Number(table.dataset.max) || 500;

  function say(text, cls) {
    if (!status) return;
    status.textContent = text;
    status.className = "live " + cls;
  }
  // cell adds a cell; label names it where a phone shows each row as a card.
  function cell(tr, text, label, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.dataset.label = label;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function add(d) {
    const tr = document.createElement("tr");
    tr.className = "new";
    tr.dataset.seq = String(d.seq);
    const link = document.createElement("a");
    link.href = "/deliveries/" + encodeURIComponent(d.stream) + "/" + encodeURIComponent(String(d.seq));
    link.textContent = String(d.seq);
    cell(tr, "", "Seq", "num").appendChild(link);
    cell(tr, d.time, "Stored");
    cell(tr, d.source, "Source");
    const kind = cell(tr, d.provider, "Provider · type");
    const type = document.createElement("small");
    type.textContent = d.type;
    kind.appendChild(type);
    cell(tr, d.id, "Event id", "id");
    cell(tr, d.subject, "Subject", "subject");
    body.insertBefore(tr, body.firstChild);
    if (empty) empty.hidden = true;
    // Keep the page light: the rows that leave stay reachable through Older.
    if (body.rows.length > max) {
      while (body.rows.length > max) body.deleteRow(-1);
      if (older) {
        const last = body.rows[body.rows.length - 1].dataset.seq;
        older.href = older.dataset.base + "&before=" + encodeURIComponent(last);
        older.hidden = false;
      }
    }
  }

  const source = new EventSource(table.dataset.live);
  source.addEventListener("open", function () { say("Live: new deliveries appear at the top.", "on"); });
  source.addEventListener("error", function () { say("Live view interrupted: reconnecting…", "off"); });
  source.addEventListener("skipped", function (ev) {
    say("Live: up to " + Number(ev.data) + " more arrived faster than the page shows them; reload to see them all.", "on");
  });
  source.addEventListener("delivery", function (ev) {
    try { add(JSON.parse(ev.data)); } catch (e) { /* a malformed event is dropped, the next one still shows */ }
  });
})();
