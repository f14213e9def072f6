// factcheck web app: a little script on top of pages that work without it.
// - live collection progress (polls a JSON endpoint, reloads when references are in)
// - pin / stance changes without a page load
// - library upload with a progress bar
// - a confirmation before destructive actions
// No inline script anywhere (the CSP forbids it); every request sends the CSRF token header.
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function postForm(form) {
    return fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) {
          throw new Error(body.error || "The change was not saved (" + response.status + ").");
        }
        return body;
      });
    });
  }

  // --- collection progress ----------------------------------------------------------------
  function watchCollection(panel) {
    var url = panel.getAttribute("data-poll-url");
    var bar = panel.querySelector("[data-collection-progress]");
    var status = panel.querySelector("[data-collection-status]");
    var list = panel.querySelector("[data-collection-sources]");
    var failures = 0;

    function render(body) {
      bar.value = body.progress;
      bar.textContent = Math.round(body.progress * 100) + "%";
      var text = body.status.charAt(0).toUpperCase() + body.status.slice(1);
      if (body.status === "running") {
        text += ": " + Math.round(body.progress * 100) + "%";
      }
      status.textContent = text;
      list.textContent = "";
      Object.keys(body.sources).forEach(function (name) {
        var source = body.sources[name];
        var item = document.createElement("li");
        var label = document.createElement("span");
        var detail = document.createElement("span");
        label.textContent = name;
        detail.textContent =
          (source.status || "") +
          (source.count !== undefined && source.count !== null ? " · " + source.count + " found" : "") +
          (source.error ? " · " + source.error : "");
        item.appendChild(label);
        item.appendChild(detail);
        list.appendChild(item);
      });
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (body) {
          failures = 0;
          render(body);
          if (body.status === "queued" || body.status === "running") {
            window.setTimeout(poll, 1000);
          } else {
            status.textContent = "Collection " + body.status + ": " + body.references_count + " references. Loading them…";
            window.location.reload();
          }
        })
        .catch(function () {
          failures += 1;
          if (failures < 10) {
            window.setTimeout(poll, 3000);
          } else {
            status.textContent = "Lost contact with the server; reload the page to see progress.";
          }
        });
    }
    window.setTimeout(poll, 500);
  }

  // --- pin and stance ---------------------------------------------------------------------
  var STANCES = { unknown: "Not assessed", supports: "Supports", refutes: "Refutes", context: "Context" };

  function enhanceReferenceForm(form) {
    var item = form.closest("[data-reference]");
    var live = document.querySelector("[data-reference-status]");
    var select = form.querySelector("[data-stance-select]");
    if (select) {
      // Changing the stance saves it: the button stays for keyboard and no-script use.
      select.addEventListener("change", function () {
        form.requestSubmit();
      });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      postForm(form)
        .then(function (body) {
          var pinInput = item.querySelector('input[name="pinned"]');
          var pinButton = item.querySelector("[data-pin-button]");
          item.classList.toggle("pinned", body.pinned);
          item.querySelector("[data-pin-label]").textContent = body.pinned ? "Pinned as evidence" : "Not pinned";
          item.querySelector("[data-stance-label]").textContent = STANCES[body.stance] || body.stance;
          if (pinInput) {
            pinInput.value = body.pinned ? "false" : "true";
          }
          if (pinButton) {
            pinButton.textContent = body.pinned ? "Unpin" : "Pin as evidence";
            pinButton.setAttribute("aria-pressed", body.pinned ? "true" : "false");
          }
          if (live) {
            live.textContent = "Saved: " + (body.pinned ? "pinned" : "not pinned") + ", " + (STANCES[body.stance] || body.stance) + ".";
          }
        })
        .catch(function (error) {
          if (live) {
            live.textContent = error.message;
          }
        })
        .finally(function () {
          buttons.forEach(function (b) { b.disabled = false; });
        });
    });
  }

  // --- library upload ---------------------------------------------------------------------
  function enhanceUpload(form) {
    var box = form.querySelector("[data-upload-progress]");
    var bar = box.querySelector("progress");
    var result = document.querySelector("[data-upload-result]");
    form.addEventListener("submit", function (event) {
      var input = form.querySelector('input[type="file"]');
      if (!input.files.length) {
        return; // let the server say what is missing
      }
      event.preventDefault();
      var request = new XMLHttpRequest();
      request.open("POST", form.action || window.location.href);
      request.setRequestHeader("X-CSRFToken", csrfToken);
      request.setRequestHeader("Accept", "application/json");
      box.hidden = false;
      bar.value = 0;
      result.textContent = "Uploading…";
      request.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = e.loaded / e.total;
        }
      });
      request.upload.addEventListener("load", function () {
        bar.value = 1;
        result.textContent = "Uploaded; storing the documents…";
      });
      request.addEventListener("load", function () {
        var body;
        try {
          body = JSON.parse(request.responseText);
        } catch (e) {
          result.textContent = "The upload failed (" + request.status + ").";
          return;
        }
        result.textContent = "";
        if (body.errors && body.errors.length) {
          var p = document.createElement("p");
          p.className = "error";
          p.textContent = "Nothing was stored:";
          var ul = document.createElement("ul");
          body.errors.forEach(function (line) {
            var li = document.createElement("li");
            li.textContent = line;
            ul.appendChild(li);
          });
          result.appendChild(p);
          result.appendChild(ul);
        } else {
          result.textContent =
            "Stored " + body.created + " new documents (" + body.passages + " passages); " +
            body.existing + " were already in the library.";
        }
      });
      request.addEventListener("error", function () {
        result.textContent = "The upload failed; check the connection and try again.";
      });
      request.send(new FormData(form));
    });
  }

  // --- confirmations ----------------------------------------------------------------------
  function confirmFirst(form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll-url]").forEach(watchCollection);
    document.querySelectorAll("form[data-reference-form]").forEach(enhanceReferenceForm);
    document.querySelectorAll("form[data-library-upload]").forEach(enhanceUpload);
    document.querySelectorAll("form[data-confirm]").forEach(confirmFirst);
  });
})();
