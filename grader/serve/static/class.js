// The instructor's live view of the class: who tried, their best and last score, their last mistakes,
// and the class page's figures. Every string from the server is put on the page as text, never as HTML.
(function () {
  "use strict";
  // The quiz this page is for (?quiz=NAME), passed on to every call; none: the server's first quiz.
  var chosen = new URLSearchParams(location.search).get("quiz");
  function api(path) { return "api/" + path + (chosen ? "?quiz=" + encodeURIComponent(chosen) : ""); }
  var me = null, timer = null;
  var REFRESH_MS = 10000;

  function element(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function row(cells) {
    var tr = element("tr");
    cells.forEach(function (cell) { tr.appendChild(element("td", cell === null || cell === undefined ? "–" : String(cell))); });
    return tr;
  }

  function json(response) {
    return response.json().then(function (body) {
      if (!response.ok) { var problem = new Error(body && body.detail ? String(body.detail) : "HTTP " + response.status);
                          problem.status = response.status; throw problem; }
      return body;
    });
  }

  function score(value) { return value === null ? null : String(Math.round(value * 100) / 100); }

  function show(view) {
    document.getElementById("signin").hidden = true;
    document.getElementById("overview").hidden = false;
    var n = view.students.length;
    document.getElementById("counts").textContent = n + (n === 1 ? " student; " : " students; ")
      + view.summary.full_marks + " with full marks on their last Submit; mean " + view.summary.mean_score.toFixed(2)
      + " of " + view.max_score + ".";
    var variables = document.querySelector("#variables tbody");
    variables.replaceChildren.apply(variables, Object.keys(view.summary.variables).map(function (name) {
      return row([name, Math.round(view.summary.variables[name].pass_rate * 100) + "%"]);
    }));
    var mistakes = document.querySelector("#mistakes tbody");
    mistakes.replaceChildren.apply(mistakes, view.summary.mistakes.slice(0, 20).map(function (m) {
      return row([m.variable, m.mistake, m.count]);
    }));
    var students = document.querySelector("#students tbody");
    students.replaceChildren.apply(students, view.students.map(function (s) {
      return row([s.name || s.user, s.attempts, s.submits, score(s.best), score(s.last),
                  s.last_at ? s.last_at.replace("T", " ").slice(0, 19) : null, s.mistakes.join("; ")]);
    }));
  }

  function refresh() {
    fetch(api("class"), { credentials: "same-origin" }).then(json).then(show).catch(function (problem) {
      clearInterval(timer);
      if (problem.status === 403) { document.getElementById("signin").hidden = false; }
      else { document.getElementById("counts").textContent = "The class could not be loaded: " + problem.message; }
    });
  }

  document.getElementById("signin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(api("login"), { method: "POST", credentials: "same-origin",
                         headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf },
                         body: JSON.stringify({ token: document.getElementById("token").value }) })
      .then(json).then(function (answer) { me = answer; start(); })
      .catch(function (problem) {
        var shown = document.getElementById("signin-problem");
        shown.textContent = problem.message;
        shown.hidden = false;
      });
  });

  document.getElementById("signout").addEventListener("click", function () {
    fetch(api("logout"), { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": me.csrf } })
      .then(json).then(function (answer) {
        me = answer;
        clearInterval(timer);
        document.getElementById("overview").hidden = true;
        document.getElementById("signin").hidden = false;
      });
  });

  function start() {
    refresh();
    clearInterval(timer);
    timer = setInterval(refresh, REFRESH_MS);
  }

  document.getElementById("back").href = "./" + location.search;
  ["best", "last"].forEach(function (which) {
    document.getElementById("export-" + which).href = api("export.zip") + (chosen ? "&" : "?") + "which=" + which;
  });
  fetch(api("quiz")).then(json).then(function (about) {
    document.getElementById("title").textContent = "The class: " + about.title;
    document.title = about.title + " · the class · gdgrade";
  });
  fetch(api("me"), { credentials: "same-origin" }).then(json).then(function (answer) {
    me = answer;
    if (me.role === "instructor") { start(); } else { document.getElementById("signin").hidden = false; }
  }).catch(function (problem) { document.getElementById("counts").textContent = problem.message;
                                document.getElementById("overview").hidden = false; });
}());
