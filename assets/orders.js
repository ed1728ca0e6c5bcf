/* Pulse: the "view orders" ways in that need the browser (written for this project).
 *
 * 1. Shift-click (or Ctrl-, Alt-, Cmd-click) on a state of the map, a category bar, a
 *    payment bar or a month of the two monthly charts: the Orders panel shows that
 *    value's orders, and the click does NOT toggle the filter (nor start a drag). Plotly's clickData carries no modifier keys, so the click is
 *    caught here, before plotly sees it: in the capture phase, on the chart's container,
 *    using the point plotly last reported under the pointer (plotly_hover). The point
 *    goes to the `orders-pick` store through dash_clientside.set_props; the server turns
 *    it into the panel's scope (dashapp/page/panels/orders.py).
 * 2. scrollToOrders: the clientside callback that brings the panel into view after a way
 *    in ('instant': Bootstrap's smooth scrolling would still be moving when a test or a
 *    person reads the page).
 * Touch screens have no shift key: each chart's "Orders" button does the same for the
 *    value a tap selected.
 */
(function () {
  'use strict';
  var CHARTS = {'state-map': 'map', 'category-chart': 'category', 'payment-chart': 'payment',
                'timeseries-chart': 'timeseries', 'growth-chart': 'growth'};
  var hovered = {};

  function withModifier(e) {
    return e.shiftKey || e.ctrlKey || e.altKey || e.metaKey;
  }

  function pointOf(p) {
    return {location: p.location === undefined ? null : p.location,
            customdata: p.customdata === undefined ? null : p.customdata,
            x: p.x === undefined ? null : String(p.x)};
  }

  function watch(id) {
    var box = document.getElementById(id);
    var gd = box && box.querySelector('.js-plotly-plot');
    if (!gd || !gd.on || gd.__pulseOrders) return;
    gd.__pulseOrders = true;
    gd.on('plotly_hover', function (d) {
      hovered[id] = d && d.points && d.points.length ? pointOf(d.points[0]) : null;
    });
    gd.on('plotly_unhover', function () { hovered[id] = null; });
  }

  function intercept(e) {
    if (!withModifier(e) || !e.target || !e.target.closest) return;
    for (var id in CHARTS) {
      var box = document.getElementById(id);
      if (!box || !box.contains(e.target) || e.target.closest('.modebar')) continue;
      var point = hovered[id];
      if (!point) return;
      e.stopPropagation();
      e.preventDefault();
      if (e.type === 'click' && window.dash_clientside && window.dash_clientside.set_props) {
        window.dash_clientside.set_props('orders-pick', {
          data: {chart: CHARTS[id], point: point, at: Date.now()}});
      }
      return;
    }
  }

  ['pointerdown', 'mousedown', 'pointerup', 'mouseup', 'click'].forEach(function (type) {
    document.addEventListener(type, intercept, true);
  });
  // the graphs are drawn (and redrawn) by Dash after this file runs
  new MutationObserver(function () {
    for (var id in CHARTS) watch(id);
  }).observe(document.documentElement, {childList: true, subtree: true});

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    pulseOrders: {
      scrollToOrders: function (scope) {
        if (scope && scope.scroll) {
          var panel = document.getElementById('orders-section');
          if (panel) panel.scrollIntoView({block: 'start', behavior: 'instant'});
        }
        return scope ? scope.n : null;
      }
    }
  });
})();
