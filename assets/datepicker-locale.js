/* The date pickers' calendars (month names, weekday initials) in the page's language.
 *
 * Dash's date pickers (dcc 4, built on date-fns) take their locale from
 * `window.dateFns.locale`, matched against the BROWSER's languages, else the first one
 * loaded. The page's language is another thing (?lang=, the cookie, PULSE_LOCALE: the
 * `lang` attribute of the `.pulse` element), so the vendored date-fns locales
 * (assets/vendor/date-fns-locale-*.js, see PROVENANCE.md) are kept here as they register,
 * and `window.dateFns` shows the pickers only the page's own: none for English, which is
 * date-fns's default. Read when a calendar draws, so it holds whatever the load order.
 * The first day of the week is the pickers' `first_day_of_week` (from CLDR, server side).
 */
(function () {
    'use strict';
    const loaded = {};

    function keep(value) {
        if (value && value.locale) {
            Object.assign(loaded, value.locale);
        }
    }

    function pageLocales() {
        const el = document.querySelector('.pulse[lang]');
        const tag = (el && el.getAttribute('lang')) || document.documentElement.lang || 'en';
        const parts = tag.split('-');
        const own = {};
        const key = [parts.join(''), parts[0]].find(function (k) { return loaded[k]; });
        if (key) {  // pt-BR -> ptBR (date-fns's name); fr-MA -> fr
            own[key] = loaded[key];
        }
        return own;
    }

    keep(window.dateFns);
    Object.defineProperty(window, 'dateFns', {
        configurable: true,
        get: function () { return {locale: pageLocales()}; },
        set: keep,
    });
})();
