// The HTML report's only script, inlined into every report (src/report/html.cpp): filters by
// status and tag, expand and collapse. The page is complete without it.
(function () {
  'use strict';
  var filters = document.getElementById('filters');
  if (!filters) {
    return;
  }
  filters.hidden = false;
  var scenarios = Array.prototype.slice.call(document.querySelectorAll('section.scenario'));
  var statusBoxes = Array.prototype.slice.call(filters.querySelectorAll('input[name="status"]'));
  var tagButtons = Array.prototype.slice.call(filters.querySelectorAll('button[data-tag]'));
  var shownCount = document.getElementById('shown-count');

  function tagsOf(scenario) {
    return Array.prototype.map.call(scenario.querySelectorAll('ul.tags li'), function (li) {
      return li.textContent;
    });
  }

  // A scenario shows when its status is ticked and, if any tag is chosen, it has one of them.
  function apply() {
    var statuses = statusBoxes.filter(function (box) { return box.checked; })
      .map(function (box) { return box.value; });
    var tags = tagButtons.filter(function (button) { return button.getAttribute('aria-pressed') === 'true'; })
      .map(function (button) { return button.getAttribute('data-tag'); });
    var shown = 0;
    scenarios.forEach(function (scenario) {
      var own = tagsOf(scenario);
      var visible = statuses.indexOf(scenario.getAttribute('data-status')) >= 0 &&
        (tags.length === 0 || tags.some(function (tag) { return own.indexOf(tag) >= 0; }));
      scenario.hidden = !visible;
      shown += visible ? 1 : 0;
    });
    shownCount.textContent = shown + ' of ' + scenarios.length + ' shown';
  }

  function setOpen(open) {
    scenarios.forEach(function (scenario) {
      var details = scenario.querySelector('details');
      if (details) {
        details.open = open;
      }
    });
  }

  statusBoxes.forEach(function (box) { box.addEventListener('change', apply); });
  tagButtons.forEach(function (button) {
    button.addEventListener('click', function () {
      var pressed = button.getAttribute('aria-pressed') === 'true';
      button.setAttribute('aria-pressed', pressed ? 'false' : 'true');
      apply();
    });
  });
  document.getElementById('expand-all').addEventListener('click', function () { setOpen(true); });
  document.getElementById('collapse-all').addEventListener('click', function () { setOpen(false); });
  apply();
}());
