from flask import Blueprint

bp = Blueprint("opportunities", __name__)
