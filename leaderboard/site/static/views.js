/* polyeval leaderboard: the language view's jump to a language (languages.html), and the
 * model pages' folded details opened where a link points into them.
 *
 * Plain JavaScript, no build step, no network: works from file://. It only moves to
 * anchors of the page and opens <details>; the index's links work without a script.
 *
 * Hooks (stable; browser tests rely on them):
 *
 *   select#language-jump       its options' values are the ids of the language sections
 *                              (section.language#lang-<code>); choosing one scrolls there
 *                              and sets the location's hash
 *   form#language-jump-form    never submitted (a submit would reload the page)
 *   details.fold               opened when the location's hash names it or an element in it
 */
(function () {
  "use strict";

  function target() {
    var id = decodeURIComponent(location.hash.replace(/^#/, ""));
    return id ? document.getElementById(id) : null;
  }

  function openTarget() {
    var found = target();
    var folded = found ? found.closest("details.fold") : null;
    if (folded && !folded.open) {
      folded.open = true;
      found.scrollIntoView({ block: "start" });
    }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();

  var jump = document.getElementById("language-jump");
  if (!jump) { return; }
  var form = document.getElementById("language-jump-form");
  if (form) { form.addEventListener("submit", function (event) { event.preventDefault(); }); }
  jump.addEventListener("change", function () {
    var section = jump.value ? document.getElementById(jump.value) : null;
    if (!section) { return; }
    location.hash = jump.value;  // keeps the place on reload and in the history
    section.scrollIntoView({ block: "start" });
  });
  var shown = target();  // opened at a language's anchor: the select names it
  Array.prototype.forEach.call(jump.options, function (option) {
    if (shown && option.value === shown.id) { jump.value = option.value; }
  });
})();
