"""The JSON API under /api/v1, authenticated by personal API tokens (see api.auth).

Every route here is exempt from CSRF: requests carry a bearer token, never rely on
the session cookie, so a cross-site form cannot act on anyone's behalf.
"""

from flask import Blueprint, g

from matchmaker.api.auth import token_required
from matchmaker.security import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.get("/me")
@token_required
def get_me():
    """Who the token belongs to."""
    user = g.api_user
    return {"id": user.id, "email": user.email, "display_name": user.display_name,
            "role": str(user.role)}
