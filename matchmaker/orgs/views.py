from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("orgs", __name__, url_prefix="/organizations")


@bp.get("/mine")
@login_required
def mine():
    return render_template("auth/message.html", title="My organizations", message="Coming soon.")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    return render_template("auth/message.html", title="New organization", message="Coming soon.")
