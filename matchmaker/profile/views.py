from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("profile", __name__, url_prefix="/profile")


@bp.route("/", methods=["GET", "POST"])
@login_required
def edit():
    return render_template("auth/message.html", title="Your profile", message="Coming soon.")
