"""matchmaker: a community volunteering matchmaker.

``create_app()`` is a short list of ``register_*`` steps; each subsystem owns
its own ``init_app``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from matchmaker.config import INSTANCE_DIR, PROJECT_ROOT, load_config

__version__ = "0.1.0"


def create_app(**overrides) -> Flask:
    config = load_config(**overrides)
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(config.as_flask_mapping())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    from matchmaker import logs

    logs.init_app(app)


def register_extensions(app: Flask) -> None:
    from matchmaker import mail, security, tasks
    from matchmaker.auth import login
    from matchmaker.db import db
    from matchmaker.geo import init_app as init_geo

    db.init_app(app)
    tasks.init_app(app)
    mail.init_app(app)
    security.init_app(app)
    login.init_app(app)
    init_geo(app)


def register_blueprints(app: Flask) -> None:
    from matchmaker.urls import RowIdConverter

    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    from matchmaker.account.views import bp as account_bp
    from matchmaker.admin.views import bp as admin_bp
    from matchmaker.api.views import bp as api_bp
    from matchmaker.auth.views import bp as auth_bp
    from matchmaker.browse.views import bp as browse_bp
    from matchmaker.digests.views import bp as digests_bp
    from matchmaker.followthrough.views_after import bp as after_bp
    from matchmaker.followthrough.views_event import bp as event_bp
    from matchmaker.groups.views import bp as groups_bp
    from matchmaker.imports.views import bp as imports_bp
    from matchmaker.main.views import bp as main_bp
    from matchmaker.metrics.views import bp as metrics_bp
    from matchmaker.opportunities.views import bp as opportunities_bp
    from matchmaker.orgs.views import bp as orgs_bp
    from matchmaker.profile.views import bp as profile_bp
    from matchmaker.recommendations.views import bp as recommendations_bp
    from matchmaker.rosters.views import bp as rosters_bp
    from matchmaker.signups.views import bp as signups_bp

    for bp in (main_bp, auth_bp, profile_bp, orgs_bp, admin_bp, api_bp, browse_bp,
               opportunities_bp, signups_bp, groups_bp, rosters_bp, imports_bp, metrics_bp,
               recommendations_bp, after_bp, event_bp, digests_bp, account_bp):
        app.register_blueprint(bp)
    if app.debug:
        from matchmaker.main.devtools import bp as dev_bp

        app.register_blueprint(dev_bp)


def register_errorhandlers(app: Flask) -> None:
    from matchmaker.main.errors import init_app as init_errors

    init_errors(app)


def register_template_helpers(app: Flask) -> None:
    from matchmaker.main.templating import init_app as init_templating

    init_templating(app)


def register_commands(app: Flask) -> None:
    from matchmaker.cli import init_app as init_cli

    init_cli(app)
