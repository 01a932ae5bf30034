"""(being written)"""

from flask import Blueprint

bp = Blueprint("vocabulary", __name__)
