/* Which lazy panels are on screen (see dashapp/page/lazy.py): the names of the elements
 * marked data-lazy that lie within half a screen of the viewport, written into the
 * `panels-on-screen` store. Their server callbacks wait for it. */
(function () {
    'use strict';
    const STORE = 'panels-on-screen';
    const MARGIN = 0.5;  // of the viewport's height, above and below it
    const watched = new WeakSet();
    let sent = null;

    // The top of the page must be laid out first: until its charts are drawn (plotly is
    // loaded on demand, and a chart not yet drawn has no height) every panel below sits
    // on the first screen, and each would start for nothing.
    function laidOut() {
        const charts = Array.from(document.querySelectorAll('.chart'))
            .filter(function (chart) { return !chart.closest('[data-lazy]'); });
        return charts.length > 0 && charts.every(function (chart) {
            return chart.querySelector('.main-svg');
        });
    }

    // Measured now rather than taken from the observer's last report, which may predate
    // the latest layout.
    function onScreen() {
        if (window.__pulseAllPanels === true) {  // bench/clickcost.py: the page before lazy panels
            return Array.from(document.querySelectorAll('[data-lazy]'))
                .map(function (el) { return el.dataset.lazy; }).sort();
        }
        const reach = window.innerHeight * MARGIN;
        return Array.from(document.querySelectorAll('[data-lazy]')).filter(function (el) {
            const box = el.getBoundingClientRect();
            return box.bottom >= -reach && box.top <= window.innerHeight + reach;
        }).map(function (el) { return el.dataset.lazy; }).sort();
    }

    function publish() {
        const clientside = window.dash_clientside;
        if (!clientside || !clientside.set_props || !laidOut()) { return; }
        const names = onScreen();
        const key = names.join(',');
        if (key === sent) { return; }
        sent = key;
        clientside.set_props(STORE, {data: names});
    }

    let queued = false;
    function later() {
        if (!queued) {
            queued = true;
            window.requestAnimationFrame(function () { queued = false; scan(); });
        }
    }

    // The observer only says when to look again (a scroll, a panel growing or shrinking).
    const observer = new IntersectionObserver(later, {rootMargin: '50% 0px 50% 0px'});

    function scan() {
        document.querySelectorAll('[data-lazy]').forEach(function (element) {
            if (!watched.has(element)) {
                watched.add(element);
                observer.observe(element);
            }
        });
        publish();
    }
    new MutationObserver(later).observe(document.documentElement,
                                        {childList: true, subtree: true});
    window.addEventListener('scroll', later, {passive: true});
    window.addEventListener('resize', later);
})();
