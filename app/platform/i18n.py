"""UI languages: locale choice and a check that no string goes untranslated.

Every UI string is English in the source and has an entry in all three
catalogs (the English catalog too), so "not in the catalog" means "forgotten",
never "English is fine". A miss is logged; with STRICT_TRANSLATIONS (the
test suite) the request fails, which makes a missing string a test failure.
"""

from __future__ import annotations

import unicodedata

from babel import dates
from flask import current_app, g, has_request_context, request, session
from flask_babel import Domain, get_locale, get_timezone, get_translations
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_eval_context
from markupsafe import Markup, escape

from app.platform.config import LANGUAGES


def select_locale() -> str:
    """Pick the UI language: the user's choice, else the browser's, else the default."""
    if not has_request_context():  # CLI and jobs speak the configured default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return chosen
    if g.get("page_locale") in LANGUAGES:  # e.g. a participant page speaks its group's language
        return g.page_locale
    return (
        request.accept_languages.best_match(LANGUAGES) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


# The locale dates are written in. Babel's plain "en" is American (3/4/26 for 4 March);
# the tool's English readers are in Europe.
FORMAT_LOCALES = {"en": "en_GB"}


def format_locale() -> str:
    """Return the locale for dates: the UI (or forced) language, English as in Britain."""
    language = str(get_locale() or "en")
    return FORMAT_LOCALES.get(language, language)


def format_date(value, format: str = "medium") -> str:
    """Format a date in the current language (the `dateformat` template filter)."""
    return dates.format_date(value, format, locale=format_locale())


def format_datetime(value, format: str = "medium") -> str:
    """Format a UTC datetime in the user's time zone (the `datetimeformat` filter)."""
    return dates.format_datetime(value, format, tzinfo=get_timezone(), locale=format_locale())


def attribute_label(name: str) -> str:
    """Return the readable label of a participant attribute key ("organisation_type")."""
    from flask_babel import gettext as _

    labels = {"organisation_type": _("Organisation type"), "position": _("Position")}
    return labels.get(name) or name.replace("_", " ").strip().capitalize()


def collation_key(name: str) -> tuple[str, str]:
    """Sort key for names in nl/fr/en: letters before accents, then case ("Élodie" < "Sophie").

    The first level ignores accents and case, as the Unicode collation algorithm's
    primary strength does for these languages; ties fall back to the exact text.
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)), name


class _CheckedTranslations:
    """Wrap a catalog and report message ids it does not contain."""

    def __init__(self, translations) -> None:
        self._translations = translations
        self._catalog = getattr(translations, "_catalog", {})

    def _check(self, key) -> None:
        if not self._catalog.get(key):
            missing = g.setdefault("missing_translations", [])
            missing.append(key if isinstance(key, str) else key[0])

    def ugettext(self, message: str) -> str:
        # A string in the catalog (nearly every call) is its translation, as gettext says.
        found = self._catalog.get(message)
        if found:
            return found
        self._check(message)
        return self._translations.ugettext(message)

    def ungettext(self, singular: str, plural: str, num: int) -> str:
        self._check((singular, 0))
        return self._translations.ungettext(singular, plural, num)

    def upgettext(self, context: str, message: str) -> str:
        self._check(f"{context}\x04{message}")
        return self._translations.upgettext(context, message)

    def unpgettext(self, context: str, singular: str, plural: str, num: int) -> str:
        self._check((f"{context}\x04{singular}", 0))
        return self._translations.unpgettext(context, singular, plural, num)

    def __getattr__(self, name: str):
        return getattr(self._translations, name)


def _cached_translations():
    """Return the request's wrapped catalog if it is still the current language's, else None."""
    try:
        namespace = vars(g._get_current_object())
    except RuntimeError:  # no application context
        return None
    cached = namespace.get("checked_translations")
    # Flask-Babel keeps the request's locale in g._flask_babel; force_locale swaps it.
    locale = getattr(namespace.get("_flask_babel"), "babel_locale", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    return None


class CheckedDomain(Domain):
    """The default message domain, with missing-string detection."""

    def get_translations(self):
        if (cached := _cached_translations()) is not None:
            return cached
        if not g:
            return super().get_translations()
        # Every _() asks: keep the wrapped catalog for the request while the locale is the
        # same object (force_locale swaps it, so a forced language is still honoured).
        cached = (get_locale(), _CheckedTranslations(super().get_translations()))
        g.checked_translations = cached
        return cached[1]


def template_locale():
    """`get_locale()` for templates: the locale Flask-Babel chose for the request, read directly."""
    try:
        babel_state = vars(g._get_current_object()).get("_flask_babel")
    except RuntimeError:  # no application context
        return get_locale()
    locale = getattr(babel_state, "babel_locale", None)
    return get_locale() if locale is None else locale


def _translations():
    return _cached_translations() or get_translations()


@pass_eval_context
def template_gettext(eval_ctx, string: str, /, **variables) -> str:
    """`_()` and `gettext()` in templates, as Jinja's i18n extension defines them.

    Jinja's version calls through three functions and Flask-Babel looks the catalog up
    through several context-local proxies: about 15 µs a string, some 30 strings a page.
    """
    text = _translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704  (our catalog's text; the variables are escaped)
    # Always a format string, even without variables, as in Jinja ("%%" is "%").
    return text % variables


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
    """`ngettext()` in templates, as Jinja's i18n extension defines it."""
    variables.setdefault("num", num)
    text = _translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704  (our catalog's text; the variables are escaped)
    return text % variables


# Stand-ins for what changes from one request to the next in the language form.
_PATH_SLOT, _CSRF_SLOT = Markup("\x00path\x00"), Markup("\x00csrf\x00")
_SWITCHERS = "magwb.language_switchers"  # key in app.extensions: (language, root) -> html


def language_switcher(current_path: str) -> Markup:
    """Return the header's language buttons (the `language_form` macro) for this request.

    The form is the same for every page in one language but for the CSRF token and the
    path to return to, so the macro is rendered once per language (and script root) and
    those two are filled in: about 50 µs less on every page.
    """
    app = current_app._get_current_object()
    key = (str(template_locale()), request.script_root)
    cache = app.extensions.setdefault(_SWITCHERS, {})
    html = None if app.debug else cache.get(key)  # debug: templates change while it runs
    if html is None:
        form = app.jinja_env.get_template("_macros.html").module.language_form
        html = cache[key] = str(form(_PATH_SLOT, _CSRF_SLOT))
    html = html.replace(_CSRF_SLOT, escape(generate_csrf()))
    return Markup(html.replace(_PATH_SLOT, escape(current_path)))  # noqa: S704  (escaped)


def report_missing_translations(response):
    """Log strings missing from the catalog; fail the response in strict mode."""
    missing = g.pop("missing_translations", None)
    if not missing:
        return response
    unique = sorted(set(missing))
    current_app.logger.warning("Missing translations: %s", unique)
    if current_app.config["STRICT_TRANSLATIONS"]:
        raise RuntimeError(f"Missing translations for {unique}")
    return response
