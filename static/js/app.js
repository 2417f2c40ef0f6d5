/*
 * Small progressive enhancements for the forum's pages.
 *
 * Every form works without this file: votes, accepts and previews are plain form
 * posts that redirect back. With it, voting happens without a reload and the
 * editor's preview follows typing. Loaded with `defer`, so the DOM is ready; no
 * inline scripts anywhere (the CSP forbids them).
 */
(function () {
  "use strict";

  if (!window.fetch || !window.FormData) {
    return;
  }

  var PREVIEW_DELAY_MS = 400;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');

  function csrfToken() {
    return csrfMeta ? csrfMeta.getAttribute("content") : "";
  }

  /* POST form data asking for JSON; resolve with the data, reject with an Error
     whose message is the server's reason (or a generic one if it sent none). */
  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          var message = data.error;
          if (!message) {
            message = resp.status === 400
              ? "This page is out of date. Reload it and try again."
              : "Something went wrong (" + resp.status + "). Try again in a moment.";
          }
          var error = new Error(message);
          error.status = resp.status;
          throw error;
        }
        return data;
      });
    }, function () {
      throw new Error("Could not reach the server. Check your connection and try again.");
    });
  }

  /* ---- voting without a reload ---------------------------------------- */

  function setVoteState(form, vote) {
    var up = form.querySelector(".vote-up");
    var down = form.querySelector(".vote-down");
    if (up) {
      up.setAttribute("aria-pressed", vote === 1 ? "true" : "false");
      up.value = vote === 1 ? "0" : "1";
      if (!up.disabled) {
        up.title = vote === 1 ? "This is useful (click again to undo)" : "This is useful";
      }
    }
    if (down) {
      down.setAttribute("aria-pressed", vote === -1 ? "true" : "false");
      down.value = vote === -1 ? "0" : "-1";
      if (!down.disabled) {
        down.title = vote === -1 ? "This is not useful (click again to undo)" : "This is not useful";
      }
    }
  }

  function voteStatus(form, message, isError) {
    var status = form.querySelector(".vote-status");
    if (!status) {
      return;
    }
    // Errors are shown as well as announced; success is only announced.
    status.classList.toggle("sr-only", !isError);
    status.classList.toggle("error", !!isError);
    status.textContent = message;
  }

  function submitVote(event, form) {
    var button = event.submitter;
    if (!button || !button.name) {
      return;
    }
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") {
      return;
    }
    var data = new FormData(form);
    data.set(button.name, button.value);
    form.setAttribute("aria-busy", "true");
    postJSON(form.action, data).then(function (result) {
      var score = form.querySelector(".score");
      if (score) {
        score.textContent = String(result.score);
      }
      setVoteState(form, result.vote);
      var what = result.vote === 1 ? "Upvoted" : result.vote === -1 ? "Downvoted" : "Vote withdrawn";
      voteStatus(form, what + ". Score " + result.score + ".", false);
    }).catch(function (error) {
      voteStatus(form, error.message, true);
    }).then(function () {
      form.removeAttribute("aria-busy");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.classList.contains("vote")) {
      submitVote(event, form);
    }
  });

  /* ---- live Markdown preview -------------------------------------------- */

  function setUpPreview(editor) {
    var textarea = editor.querySelector("textarea");
    var pane = editor.querySelector(".preview");
    var url = editor.getAttribute("data-preview-url");
    if (!textarea || !pane || !url) {
      return;
    }
    var placeholder = pane.innerHTML;
    var timer = null;
    var latest = 0;

    function render() {
      var ticket = ++latest;
      if (!textarea.value.trim()) {
        pane.innerHTML = placeholder;
        return;
      }
      var data = new FormData();
      data.set("text", textarea.value);
      postJSON(url, data).then(function (result) {
        if (ticket === latest) {
          // The server's one sanitiser produced this HTML, as for a saved post.
          pane.innerHTML = result.html;
        }
      }).catch(function (error) {
        if (ticket === latest) {
          var p = document.createElement("p");
          p.className = "error";
          p.textContent = "Preview unavailable: " + error.message;
          pane.replaceChildren(p);
        }
      });
    }

    textarea.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(render, PREVIEW_DELAY_MS);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".editor"), setUpPreview);

  /* ---- form errors -------------------------------------------------------- */

  // A rejected form is rendered again with a summary of the problems; bring it
  // into view (the answer form sits at the bottom of a long page).
  var summary = document.getElementById("form-errors");
  if (summary) {
    summary.focus();
    summary.scrollIntoView({ block: "center" });
  }
})();
