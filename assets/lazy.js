/* Which lazy panels are on screen (see dashapp/page/lazy.py): the names of the elements
 * marked data-lazy that are within a screen's margin of the viewport, written into the
 * `panels-on-screen` store. Their server callbacks wait for it. */
(function () {
    'use strict';
    const STORE = 'panels-on-screen';
    const onScreen = new Set();
    const watched = new WeakSet();
    let sent = null;

    function publish() {
        const clientside = window.dash_clientside;
        if (!clientside || !clientside.set_props) { return; }
        const names = Array.from(onScreen).sort();
        const key = names.join(',');
        if (key === sent) { return; }
        sent = key;
        clientside.set_props(STORE, {data: names});
    }

    const observer = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
            const name = entry.target.dataset.lazy;
            if (entry.isIntersecting) { onScreen.add(name); } else { onScreen.delete(name); }
        });
        publish();
    }, {rootMargin: '50% 0px 50% 0px'});

    let queued = false;
    function scan() {
        queued = false;
        document.querySelectorAll('[data-lazy]').forEach(function (element) {
            if (!watched.has(element)) {
                watched.add(element);
                observer.observe(element);
            }
        });
    }
    new MutationObserver(function () {
        if (!queued) { queued = true; window.requestAnimationFrame(scan); }
    }).observe(document.documentElement, {childList: true, subtree: true});
})();
