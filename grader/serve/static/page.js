// The quiz page: an editor, a test run, a submit, a reset, and the solution once it is earned.
// Every string from the server (a student's output, messages, names) is put on the page as text,
// never as HTML.
(function () {
  "use strict";
  // The quiz this page is for (?quiz=NAME), passed on to every call; none: the server's first quiz.
  var chosen = new URLSearchParams(location.search).get("quiz");
  function api(path) { return "api/" + path + (chosen ? "?quiz=" + encodeURIComponent(chosen) : ""); }
  var quiz = null, me = null, storageKey = null, escaped = false, saveTimer = null;
  var code = document.getElementById("code"), gutter = document.getElementById("gutter");
  var result = document.getElementById("result"), busy = document.getElementById("busy");
  var buttons = ["run", "submit", "reset"].map(function (id) { return document.getElementById(id); });
  var INDENT = "    ";

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // Text with `names` in backticks, as inline code: the way gdgrade's messages mark names.
  function prose(parent, text) {
    var parts = String(text).split("`");
    parts.forEach(function (part, index) {
      if (!part) { return; }
      parent.appendChild(index % 2 ? element("code", "", part) : document.createTextNode(part));
    });
    return parent;
  }

  function instructions(container, text) {
    container.replaceChildren();
    text.split(/\n\s*\n/).forEach(function (block) {
      var lines = block.trim().split("\n");
      if (!lines[0]) { return; }
      if (lines.every(function (line) { return /^- /.test(line) || /^\s/.test(line); })) {
        var list = element("ul"), item = null;
        lines.forEach(function (line) {
          if (/^- /.test(line)) { item = prose(element("li"), line.slice(2)); list.appendChild(item); }
          else if (item) { prose(item, " " + line.trim()); }
        });
        container.appendChild(list);
      } else {
        container.appendChild(prose(element("p"), lines.join(" ")));
      }
    });
  }

  // --- the editor -------------------------------------------------------------------------

  function lineCount() { return code.value.split("\n").length; }

  function drawGutter(failing) {
    var fragment = document.createDocumentFragment(), count = lineCount();
    failing = failing || {};
    for (var number = 1; number <= count; number++) {
      fragment.appendChild(element("span", failing[number] ? "fail" : "", String(number)));
    }
    gutter.replaceChildren(fragment);
    gutter.scrollTop = code.scrollTop;
  }

  var failingLines = {};
  function changed() {
    drawGutter(failingLines);
    clearTimeout(saveTimer);
    saveTimer = setTimeout(function () {
      try { localStorage.setItem(storageKey, code.value); } catch (ignored) { /* private mode: nothing kept */ }
    }, 200);
  }

  function insert(text) {
    // execCommand keeps the browser's undo history; setRangeText is the fallback.
    if (!document.execCommand || !document.execCommand("insertText", false, text)) {
      code.setRangeText(text, code.selectionStart, code.selectionEnd, "end");
    }
    changed();
  }

  function selectedLines() {
    var value = code.value, start = value.lastIndexOf("\n", code.selectionStart - 1) + 1;
    var end = value.indexOf("\n", code.selectionEnd - (code.selectionEnd > code.selectionStart ? 1 : 0));
    return { start: start, end: end < 0 ? value.length : end };
  }

  function indent(outward) {
    var span = selectedLines(), block = code.value.slice(span.start, span.end);
    var lines = block.split("\n");
    if (!outward && code.selectionStart === code.selectionEnd) { insert(INDENT); return; }
    var changedLines = lines.map(function (line) {
      if (!outward) { return INDENT + line; }
      var spaces = line.match(/^ {1,4}/);
      return spaces ? line.slice(spaces[0].length) : line.replace(/^\t/, "");
    }).join("\n");
    code.setSelectionRange(span.start, span.end);
    insert(changedLines);
    code.setSelectionRange(span.start, span.start + changedLines.length);
  }

  code.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { escaped = true; return; }
    if (event.key === "Tab" && !escaped && !event.ctrlKey && !event.altKey && !event.metaKey) {
      event.preventDefault();
      indent(event.shiftKey);
      return;
    }
    if (event.key !== "Tab") { escaped = false; }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      (event.shiftKey ? submit : run)();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.altKey) {
      event.preventDefault();
      var before = code.value.slice(0, code.selectionStart), line = before.slice(before.lastIndexOf("\n") + 1);
      var leading = line.match(/^\s*/)[0];
      insert("\n" + leading + (/:\s*$/.test(line) ? INDENT : ""));
    }
  });
  code.addEventListener("input", changed);
  code.addEventListener("scroll", function () { gutter.scrollTop = code.scrollTop; });
  code.addEventListener("blur", function () { escaped = false; });

  function goToLine(number) {
    var lines = code.value.split("\n"), start = 0;
    for (var index = 0; index < number - 1 && index < lines.length; index++) { start += lines[index].length + 1; }
    showTab("file");
    code.focus();
    code.setSelectionRange(start, start + (lines[number - 1] || "").length);
    var lineHeight = parseFloat(getComputedStyle(code).lineHeight) || 20;
    code.scrollTop = Math.max(0, (number - 4) * lineHeight);
  }

  // --- tabs ---------------------------------------------------------------------------------

  var tabs = { file: document.getElementById("tab-file"), solution: document.getElementById("tab-solution") };
  function showTab(name) {
    Object.keys(tabs).forEach(function (key) {
      var selected = key === name;
      tabs[key].setAttribute("aria-selected", String(selected));
      tabs[key].tabIndex = selected ? 0 : -1;
      document.getElementById("panel-" + key).hidden = !selected;
    });
  }
  Object.keys(tabs).forEach(function (key) {
    tabs[key].addEventListener("click", function () { showTab(key); });
    tabs[key].addEventListener("keydown", function (event) {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        var other = key === "file" ? "solution" : "file";
        if (!tabs[other].hidden) { showTab(other); tabs[other].focus(); }
      }
    });
  });

  function offerSolution(source) {
    document.getElementById("solution").textContent = source;
    tabs.solution.hidden = false;
  }

  // --- talking to the server ----------------------------------------------------------------

  function working(what) {
    buttons.forEach(function (button) { button.disabled = Boolean(what); });
    busy.textContent = what || "";
  }

  function post(path, done) {
    working(path === api("run") ? "Running…" : "Grading…");
    if (!me) { working(""); showProblem("The page has no session yet: reload it."); return; }
    fetch(path, { method: "POST", credentials: "same-origin",
                  headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf },
                  body: JSON.stringify({ source: code.value }) })
      .then(function (response) {
        return response.json().then(function (body) { return { response: response, body: body }; });
      })
      .then(function (answer) {
        working("");
        if (!answer.response.ok) {
          var wait = answer.response.headers.get("Retry-After");
          showProblem((answer.body && answer.body.detail ? String(answer.body.detail) : "The request failed.")
                      + (wait ? " (try again in " + wait + " s)" : ""));
          return;
        }
        done(answer.body, answer.response);
      })
      .catch(function () { working(""); showProblem("The grader cannot be reached. Is gdgrade serve running?"); });
  }

  function fetchSolution() {
    fetch(api("solution"), { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (body) { if (body) { offerSolution(body.source); } });
  }

  function showProblem(text) {
    result.replaceChildren(element("div", "banner bad", String(text)));
  }

  function traceback(error) {
    return element("pre", "trace", error.traceback);
  }

  function run() {
    post(api("run"), function (answer) {
      failingLines = {};
      drawGutter(failingLines);
      var parts = [element("h2", "", "Test run")];
      var good = answer.status === "completed";
      parts.push(element("div", "banner " + (good ? "good" : "bad"),
                         good ? "It ran on the public inputs." : "It did not run to the end: " + answer.status.replace(/_/g, " ") + "."));
      parts.push(element("h3", "", "What it printed"));
      parts.push(element("pre", "output", answer.stdout || "(nothing)"));
      if (answer.stderr) { parts.push(element("h3", "", "Standard error")); parts.push(element("pre", "output", answer.stderr)); }
      if (answer.output_truncated) { parts.push(element("p", "help", "The output was longer than shown.")); }
      if (answer.error) {
        parts.push(element("h3", "", "Your code raised an error"));
        parts.push(traceback(answer.error));
        if (answer.error.line) {
          var jump = element("button", "line", "Go to line " + answer.error.line);
          jump.type = "button";
          jump.addEventListener("click", function () { goToLine(answer.error.line); });
          parts.push(jump);
          failingLines = {}; failingLines[answer.error.line] = true; drawGutter(failingLines);
        }
      }
      result.replaceChildren.apply(result, parts);
      result.scrollIntoView({ block: "nearest" });
    });
  }

  function explanations(check) {
    var shown = [], diagnosis = check.diagnosis;
    if (diagnosis && diagnosis.kind !== "known_mistake" && check.message.indexOf(diagnosis.explanation) < 0) {
      shown.push(["Why", diagnosis.explanation]);
    }
    if (check.hint) { shown.push(["Hint", check.hint]); }
    return shown;
  }

  function submit() {
    post(api("check"), function (report, response) {
      var parts = [element("h2", "", "Your answer: " + report.score + " of " + report.max_score)];
      if (report.score >= report.max_score) {
        parts.push(element("div", "banner good", "That's right: every variable is correct. Well done!"));
      } else {
        parts.push(element("div", "banner bad", "Not yet: " + report.checks.filter(function (c) { return !c.passed; }).length
                           + " of " + report.checks.length + " variables need another look."));
      }
      var notes = [report.selection].concat(report.warnings || []).filter(Boolean);
      if (notes.length) {
        var list = element("ul", "notes");
        notes.forEach(function (note) { list.appendChild(prose(element("li"), note)); });
        parts.push(list);
      }
      if (report.error) { parts.push(element("h3", "", "Your code raised an error")); parts.push(traceback(report.error)); }
      failingLines = {};
      if (report.error && report.error.line) { failingLines[report.error.line] = true; }  // the line that raised
      var checks = element("ul", "checks");
      report.checks.forEach(function (check) {
        var item = element("li");
        item.appendChild(element("span", "outcome " + check.outcome, check.outcome));
        item.appendChild(element("code", "", check.name));
        item.appendChild(document.createTextNode(" "));
        // the name is shown just before: the message's opening name is left out (every message opens with it)
        var opening = "`" + check.name + "` ";
        prose(item, check.message.indexOf(opening) === 0 ? check.message.slice(opening.length) : check.message);
        var reached = !(check.diagnosis && check.diagnosis.kind === "not_reached");
        if (!check.passed && check.line && reached) {
          failingLines[check.line] = true;
          var jump = element("button", "line", "line " + check.line);
          jump.type = "button";
          jump.setAttribute("aria-label", "Go to line " + check.line + ", where " + check.name + " is computed");
          jump.addEventListener("click", function () { goToLine(check.line); });
          item.appendChild(jump);
        }
        explanations(check).forEach(function (pair) {
          var said = element("p", "said");
          said.appendChild(element("b", "", pair[0] + ": "));
          prose(said, pair[1]);
          item.appendChild(said);
        });
        checks.appendChild(item);
      });
      parts.push(checks);
      result.replaceChildren.apply(result, parts);
      result.scrollIntoView({ block: "nearest" });
      drawGutter(failingLines);
      if (report.score >= report.max_score && quiz.show_solution === "after-pass") { fetchSolution(); }
    });
  }

  // --- reset ----------------------------------------------------------------------------------

  var dialog = document.getElementById("confirm-reset");
  document.getElementById("reset").addEventListener("click", function () { dialog.showModal(); });
  document.getElementById("reset-no").addEventListener("click", function () { dialog.close(); });
  document.getElementById("reset-yes").addEventListener("click", function () {
    dialog.close();
    code.value = quiz.starter;
    failingLines = {};
    try { localStorage.removeItem(storageKey); } catch (ignored) { /* nothing was kept */ }
    drawGutter(failingLines);
    result.replaceChildren();
    code.focus();
  });
  document.getElementById("run").addEventListener("click", run);
  document.getElementById("submit").addEventListener("click", submit);

  // --- start ------------------------------------------------------------------------------------

  function json(response) {
    return response.json().then(function (body) {
      if (!response.ok) { throw new Error(body && body.detail ? String(body.detail) : "HTTP " + response.status); }
      return body;
    });
  }

  Promise.all([fetch(api("quiz")).then(json), fetch(api("me"), { credentials: "same-origin" }).then(json)])
  .then(function (answers) {
    var about = answers[0];
    quiz = about;
    me = answers[1];
    var who = document.getElementById("who");
    who.textContent = me.name ? "Signed in as " + me.name + " · " : "";
    var link = element("a", "", me.role === "instructor" ? "The class" : "For instructors: the class");
    link.href = "class" + location.search;
    who.appendChild(link);
    storageKey = "gdgrade:" + about.name + ":" + about.filename;
    document.title = about.title + " · gdgrade";
    document.getElementById("title").textContent = about.title;
    tabs.file.textContent = about.filename;
    code.setAttribute("aria-label", about.filename);
    instructions(document.getElementById("instructions"), about.instructions);
    var rows = document.querySelector("#inputs tbody");
    about.inputs.forEach(function (input) {
      var row = element("tr");
      row.appendChild(element("td", "", input.name));
      row.appendChild(element("td", "", input.value));
      rows.appendChild(row);
    });
    document.getElementById("expected").textContent = about.expected_output;
    var kept = null;
    try { kept = localStorage.getItem(storageKey); } catch (ignored) { /* not kept */ }
    code.value = kept !== null ? kept : about.starter;
    drawGutter({});
    if (about.solution) { offerSolution(about.solution); }
    else if (me.earned_solution && about.show_solution === "after-pass") { fetchSolution(); }
    document.body.setAttribute("data-ready", "true");  // the quiz and the session are in
  }).catch(function (problem) {
    showProblem("The quiz could not be loaded: " + (problem && problem.message && problem.message !== "Failed to fetch"
                ? problem.message : "is gdgrade serve running?"));
  });
}());
