/* The menu and "Contents" buttons on every page.
 *
 * Each page carries two buttons of each kind: one in the top navbar (hidden
 * by the book's layout) and one in the article header (the one a reader
 * sees). The theme's scripts wire only the first button of each kind on the
 * page, the hidden one, so the visible ones do nothing. This script forwards
 * a click on any other button of the same kind to the first one, whose
 * handlers then do what the width calls for: on a wide screen the menu button
 * collapses or restores the sidebar; on a narrow one each button opens its
 * sidebar as a panel over the page.
 */
(function () {
  "use strict";
  function wire(kind) {
    var buttons = document.querySelectorAll("." + kind + "-toggle");
    if (buttons.length < 2) {
      return;
    }
    var first = buttons[0];
    for (var i = 1; i < buttons.length; i++) {
      if (buttons[i].dataset.cnnlitWired) {
        continue;
      }
      buttons[i].dataset.cnnlitWired = "1";
      buttons[i].addEventListener("click", function (event) {
        event.preventDefault();
        event.stopImmediatePropagation();
        first.click();
        this.blur();
      });
    }
  }
  function start() {
    wire("primary");
    wire("secondary");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
