/* The rating form's script: static (its CSP hash is computed from this text as written).
   It reads the map from the JSON block, keeps answers in localStorage, and exports the long
   CSV and JSON Lines that icmaps.read_ratings reads. Text is only ever set as text
   (textContent, value): no markup is built from anything a map or a rater wrote. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("icmap-data").textContent);
  var comps = data.components;
  var KEY = "icmaps-form:" + data.map + ":" + data.version + ":" + data.role;
  var FIELDS = ["subject", "rater", "occasion", "source"];
  var exported = true;

  function $(id) { return document.getElementById(id); }
  function field(name) { return $("f-" + name); }
  function radios(i) { return $("c-" + (i + 1)).querySelectorAll("input[type=radio]"); }
  function note(i) { return $("note-" + (i + 1)); }

  function codeOf(i) {
    var rs = radios(i);
    for (var k = 0; k < rs.length; k++) { if (rs[k].checked) { return rs[k].value; } }
    return "";
  }

  function setCode(i, code) {
    var rs = radios(i);
    for (var k = 0; k < rs.length; k++) { rs[k].checked = code !== "" && rs[k].value === code; }
  }

  function state() {
    var s = { fields: {}, codes: {}, notes: {} };
    FIELDS.forEach(function (f) { s.fields[f] = field(f).value; });
    comps.forEach(function (c, i) {
      var code = codeOf(i), text = note(i).value;
      if (code) { s.codes[c.id] = code; }
      if (text) { s.notes[c.id] = text; }
    });
    return s;
  }

  function load(s) {
    FIELDS.forEach(function (f) { field(f).value = (s.fields && s.fields[f]) || ""; });
    comps.forEach(function (c, i) {
      setCode(i, (s.codes && s.codes[c.id]) || "");
      note(i).value = (s.notes && s.notes[c.id]) || "";
    });
  }

  function say(id, text) { $(id).textContent = text; }

  function save() {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(state()));
      var t = new Date();
      say("saved", "Saved in this browser at " + ("0" + t.getHours()).slice(-2) + ":" +
        ("0" + t.getMinutes()).slice(-2) + ":" + ("0" + t.getSeconds()).slice(-2) + ".");
    } catch (e) {
      say("saved", "Not saved: this browser keeps nothing for this page. Export before closing.");
    }
  }

  function restore() {
    var raw = null;
    try { raw = window.localStorage.getItem(KEY); } catch (e) { raw = null; }
    if (!raw) { return; }
    try { load(JSON.parse(raw)); say("saved", "Answers restored from this browser."); }
    catch (e) { say("saved", "Saved answers could not be read; starting afresh."); }
  }

  function progress() {
    var n = 0;
    comps.forEach(function (c, i) { if (codeOf(i)) { n += 1; } });
    say("n-rated", String(n));
    $("progress-bar").value = n;
    return n;
  }

  function changed() { exported = false; say("problem", ""); progress(); save(); }

  function records() {
    var who = {};
    FIELDS.forEach(function (f) { who[f] = field(f).value.trim(); });
    var out = [];
    comps.forEach(function (c, i) {
      var code = codeOf(i), text = note(i).value.trim();
      if (!code && !text) { return; }
      var r = { subject: who.subject, rater: who.rater, occasion: who.occasion,
        component: c.id, code: code || null };
      if (data.role) { r.role = data.role; }
      r.source = who.source || null;
      r.note = text || null;
      out.push(r);
    });
    return out;
  }

  function ready() {
    var missing = ["subject", "rater", "occasion"].filter(function (f) {
      return !field(f).value.trim();
    });
    if (missing.length) {
      say("problem", "Fill in " + missing.join(", ") + " first.");
      field(missing[0]).focus();
      return false;
    }
    if (!records().length) {
      say("problem", "Nothing to export yet: choose a code (or write a note) for a component.");
      return false;
    }
    return true;
  }

  function csvCell(v) {
    var s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? "\"" + s.replace(/"/g, "\"\"") + "\"" : s;
  }

  function toCsv(rows) {
    var cols = ["subject", "rater", "occasion", "component", "code"];
    if (data.role) { cols.push("role"); }
    cols.push("source", "note");
    var lines = [cols.join(",")];
    rows.forEach(function (r) {
      lines.push(cols.map(function (k) { return csvCell(r[k]); }).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }

  function toJsonl(rows) {
    return rows.map(function (r) { return JSON.stringify(r); }).join("\n") + "\n";
  }

  function fileName(ext) {
    var parts = [data.map, field("subject").value, field("occasion").value].map(function (p) {
      return p.trim().replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "");
    }).filter(function (p) { return p; });
    return parts.join("_") + "." + ext;
  }

  function deliver(text, ext, type) {
    $("output").value = text;
    exported = true;
    say("problem", "");
    try {
      var url = URL.createObjectURL(new Blob([text], { type: type }));
      var a = document.createElement("a");
      a.href = url;
      a.download = fileName(ext);
      document.body.appendChild(a);
      a.click();
      a.remove();
      window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    } catch (e) {
      say("problem", "The browser blocked the download: copy the text below instead.");
    }
  }

  $("export-csv").addEventListener("click", function () {
    if (ready()) { deliver("\ufeff" + toCsv(records()), "csv", "text/csv;charset=utf-8"); }
  });
  $("export-jsonl").addEventListener("click", function () {
    if (ready()) { deliver(toJsonl(records()), "jsonl", "application/x-ndjson"); }
  });
  $("print").addEventListener("click", function () { window.print(); });
  $("new-subject").addEventListener("click", function () {
    if (!exported) {
      say("problem", "Export this subject's answers first (they would be cleared).");
      return;
    }
    var keep = state();
    load({ fields: { rater: keep.fields.rater, occasion: keep.fields.occasion,
      source: keep.fields.source } });
    progress();
    save();
    field("subject").focus();
  });
  var armed = false;
  $("reset").addEventListener("click", function () {
    if (!armed) {
      armed = true;
      say("problem", "Press \u201cClear every answer\u201d again to clear the whole form.");
      return;
    }
    armed = false;
    load({});
    changed();
    field("subject").focus();
  });
  document.querySelectorAll("button[data-clear]").forEach(function (b) {
    b.addEventListener("click", function () {
      setCode(Number(b.getAttribute("data-clear")) - 1, "");
      changed();
    });
  });
  $("form").addEventListener("change", changed);
  $("form").addEventListener("input", function (e) {
    if (e.target && e.target.id !== "output") { changed(); }
  });
  restore();
  progress();
  exported = records().length === 0;
  document.documentElement.setAttribute("data-ready", "1");
}());
