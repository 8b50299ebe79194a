/* Figures stay legible on a narrow screen.
 *
 * The stylesheet lets a figure shrink with the column. On a phone a wide
 * strip would shrink to half its size or less, and the numbers in it become
 * unreadable, so each figure in a cell's output gets a floor: it shrinks to
 * at most FLOOR of the width it was drawn for (its width attribute, or its
 * inline style width, or its natural width) and beyond that scrolls sideways
 * in its own box, on a phone and on a desktop alike. Animations' frames get
 * the same floor once their first frame has loaded.
 */
(function () {
  "use strict";
  var FLOOR = 0.8;
  function floor(img) {
    // the width it was drawn for: a width attribute, or the inline style
    // width myst-nb writes for a 2x PNG, or else its natural width
    var attr = parseFloat(img.getAttribute("width"));
    var styled = parseFloat(img.style.width);
    var drawn = attr > 0 ? attr : styled > 0 ? styled : img.naturalWidth;
    if (!(drawn > 0)) {
      return;
    }
    img.style.minWidth = Math.round(FLOOR * drawn) + "px";
  }
  function start() {
    var imgs = document.querySelectorAll(".bd-article .cell_output img");
    for (var i = 0; i < imgs.length; i++) {
      var img = imgs[i];
      if (img.complete && img.naturalWidth > 0) {
        floor(img);
      }
      img.addEventListener("load", function () {
        floor(this);
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
