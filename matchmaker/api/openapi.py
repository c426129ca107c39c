"""The OpenAPI 3.1 document served at /api/v1/openapi.json.

Written by hand next to ``serialize.py``; the integration tests validate every
real response against the schema named here for its path, method and status
(``additionalProperties: false`` everywhere, so a new field must be documented).
"""

from __future__ import annotations

from flask import url_for


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties,
            "required": required if required is not None else list(properties),
            "additionalProperties": False}


STRING = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
NUMBER = {"type": "number"}
DATETIME = {"type": "string", "format": "date-time"}

SCHEMAS = {
    "Error": _obj({"error": _obj({
        "code": STRING, "message": STRING,
        "fields": {"type": "object", "additionalProperties": STRING},
    })}),
    "Me": _obj({"id": INT, "email": STRING, "display_name": STRING, "role": STRING}),
    "Occurrence": _obj({
        "id": INT, "starts_at": DATETIME, "ends_at": DATETIME, "capacity": INT,
        "seats_left": INT, "waitlist": BOOL, "cancelled": BOOL,
    }),
    "Opportunity": _obj({
        "id": INT, "title": STRING, "description": STRING,
        "status": {"enum": ["draft", "published", "cancelled"]},
        "kind": {"enum": ["one_off", "shifts", "small_act"]},
        "organization": _obj({"id": INT, "slug": STRING, "name": STRING, "verified": BOOL}),
        "causes": {"type": "array", "items": STRING},
        "skills": {"type": "array", "items": STRING},
        "access": {"type": "array", "items": STRING},
        "is_remote": BOOL, "place_label": STRING,
        "lat": _nullable(NUMBER), "lon": _nullable(NUMBER),
        "distance_band": {**_nullable(STRING),
                          "description": "Rounded words ('about 2 km'); never an exact distance."},
        "timezone": STRING, "duration_minutes": INT, "capacity": INT, "min_age": INT,
        "social_format": STRING, "first_timer_friendly": BOOL, "what_to_bring": STRING,
        "do_by": _nullable({"type": "string", "format": "date"}),
        "next_occurrence": _nullable(_ref("Occurrence")),
        "url": {"type": "string", "format": "uri"},
    }),
    "OpportunityList": _obj({
        "items": {"type": "array", "items": _ref("Opportunity")},
        "page": INT, "per_page": INT, "total": INT, "pages": INT,
        "links": _obj({"self": STRING, "next": _nullable(STRING), "prev": _nullable(STRING)}),
    }),
    "OpportunityInput": {
        "type": "object",
        "description": "Fields of an opportunity (see the organizer form). On POST, "
                       "'organization' (slug or id) is required; on PATCH, send only "
                       "what changes. 'publish': true publishes it too.",
        "properties": {
            "organization": {"anyOf": [STRING, INT]}, "publish": BOOL,
            "title": STRING, "description": STRING,
            "causes": {"type": "array", "items": STRING},
            "skills": {"type": "array", "items": STRING},
            "access": {"type": "array", "items": STRING},
            "demands": {"type": "array", "items": STRING},
            "kind": {"enum": ["one_off", "shifts", "small_act"]},
            "is_remote": BOOL, "place": STRING,
            "lat": _nullable(NUMBER), "lon": _nullable(NUMBER),
            "start_local": {"type": "string", "description": "YYYY-MM-DDTHH:MM, local time"},
            "frequency": {"enum": ["weekly", "monthly"]}, "interval": INT,
            "weekdays": {"type": "array", "items": INT},
            "month_week": _nullable(INT),
            "until": _nullable({"type": "string", "format": "date"}),
            "count": _nullable(INT),
            "do_by": _nullable({"type": "string", "format": "date"}),
            "duration_minutes": INT, "capacity": INT, "min_age": INT,
            "social_format": STRING, "first_timer_friendly": BOOL, "what_to_bring": STRING,
            "group_id": _nullable(INT), "timezone": STRING,
        },
        "additionalProperties": False,
    },
    "Cancelled": _obj({"id": INT, "status": {"const": "cancelled"}, "people_told": INT}),
    "SignupResult": _obj({
        "id": INT, "status": {"enum": ["confirmed", "waitlisted"]},
        "waitlist_position": _nullable(INT),
        "warnings": {"type": "array", "items": STRING},
    }),
    "SignupReleased": _obj({"id": INT, "status": STRING, "waitlist_position": {"type": "null"}}),
    "Signup": _obj({
        "id": INT, "status": {"enum": ["confirmed", "waitlisted"]},
        "waitlist_position": _nullable(INT), "occurrence": _ref("Occurrence"),
        "opportunity": _obj({"id": INT, "title": STRING}),
    }),
    "SignupList": _obj({"items": {"type": "array", "items": _ref("Signup")}}),
    "Recommendation": _obj({
        "rank": {"type": "integer", "minimum": 1},
        "score": {**NUMBER, "description": "0 to 1; higher fits better."},
        "reasons": {"type": "array", "items": STRING,
                    "description": "Short plain words: why it was suggested."},
        "waitlist": {**BOOL, "description": "Full: offered as 'join the waitlist'."},
        "occurrence": _ref("Occurrence"), "opportunity": _ref("Opportunity"),
    }),
    "RecommendationList": _obj({"items": {"type": "array", "items": _ref("Recommendation")}}),
}
SCHEMAS["OpportunityDetail"] = {
    **SCHEMAS["Opportunity"],
    "properties": {**SCHEMAS["Opportunity"]["properties"],
                   "occurrences": {"type": "array", "items": _ref("Occurrence")}},
    "required": [*SCHEMAS["Opportunity"]["required"], "occurrences"],
}


def _json(schema_name: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": _ref(schema_name)}}}


def _errors(*statuses: int) -> dict:
    words = {400: "Bad request or query parameters", 401: "No valid API token",
             403: "Not allowed for this account", 404: "Not found (or not visible to you)",
             409: "Conflicts with the current state", 422: "Fields failed validation"}
    return {str(s): _json("Error", words[s]) for s in statuses}


def _param(name: str, schema: dict, description: str, *, where: str = "query",
           many: bool = False) -> dict:
    if many:
        schema = {"type": "array", "items": schema}
    param = {"name": name, "in": where, "required": where == "path", "schema": schema,
             "description": description}
    if many:
        param.update(style="form", explode=True)
    return param


LIST_PARAMS = [
    _param("q", STRING, "Words in the title, description or organization name."),
    _param("cause", STRING, "Cause keys (any of them).", many=True),
    _param("near", STRING, "'lat,lon', or 'home' for the token owner's area."),
    _param("place", STRING, "A ZIP code or town to measure from (wins over 'near')."),
    _param("radius_km", NUMBER, "With near/place: 0.5 to 200 (default 10)."),
    _param("from", {"type": "string", "format": "date"}, "First day (inclusive)."),
    _param("to", {"type": "string", "format": "date"}, "Last day (inclusive)."),
    _param("day", {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
           "Weekdays, in the opportunity's timezone.", many=True),
    _param("time", {"enum": ["morning", "afternoon", "evening"]}, "Times of day.", many=True),
    _param("duration", {"enum": ["short", "medium", "long"]}, "≤30 min, ≤2 h, longer."),
    _param("format", STRING, "Social formats.", many=True),
    _param("access", STRING, "Accessibility tags (all of them).", many=True),
    _param("first_timers", BOOL, "Only first-timer friendly."),
    _param("remote", BOOL, "Only remote ones."),
    _param("small_acts", BOOL, "Only small acts."),
    _param("sort", {"enum": ["soonest", "nearest", "best"]}, "Order (default soonest)."),
    _param("page", {"type": "integer", "minimum": 1}, "Page, from 1."),
    _param("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Default 20."),
]
OPP_ID = _param("opportunity_id", INT, "Opportunity id.", where="path")


def _paths() -> dict:
    body = {"required": True,
            "content": {"application/json": {"schema": _ref("OpportunityInput")}}}
    return {
        "/me": {"get": {"summary": "Who the token belongs to",
                        "responses": {"200": _json("Me", "The token's owner"), **_errors(401)}}},
        "/opportunities": {
            "get": {"summary": "Browse upcoming opportunities", "parameters": LIST_PARAMS,
                    "responses": {"200": _json("OpportunityList", "A page of results"),
                                  **_errors(400, 401)}},
            "post": {"summary": "Post an opportunity (an organizer of that organization)",
                     "requestBody": body,
                     "responses": {"201": _json("OpportunityDetail", "Created"),
                                   **_errors(400, 401, 403, 422)}},
        },
        "/opportunities/{opportunity_id}": {
            "parameters": [OPP_ID],
            "get": {"summary": "One opportunity with its upcoming dates",
                    "responses": {"200": _json("OpportunityDetail", "The opportunity"),
                                  **_errors(401, 404)}},
            "patch": {"summary": "Change an opportunity", "requestBody": body,
                      "responses": {"200": _json("OpportunityDetail", "Changed"),
                                    **_errors(400, 401, 403, 404, 409, 422)}},
            "delete": {"summary": "Cancel an opportunity (everyone signed up is told)",
                       "responses": {"200": _json("Cancelled", "Cancelled"),
                                     **_errors(401, 403, 404)}},
        },
        "/opportunities/{opportunity_id}/signups": {
            "parameters": [OPP_ID],
            "post": {
                "summary": "Sign up: a seat if one is left, else the waiting list",
                "requestBody": {"required": False, "content": {"application/json": {
                    "schema": {"type": "object", "properties": {"occurrence_id": INT},
                               "additionalProperties": False}}}},
                "responses": {"201": _json("SignupResult", "Signed up"),
                              "200": _json("SignupResult", "Already signed up; unchanged"),
                              **_errors(400, 401, 403, 404, 409, 422)}},
        },
        "/signups/{signup_id}": {
            "parameters": [_param("signup_id", INT, "Sign-up id.", where="path")],
            "delete": {"summary": "Pass my spot on (no penalty)",
                       "responses": {"200": _json("SignupReleased", "Released"),
                                     **_errors(401, 404)}},
        },
        "/me/signups": {"get": {"summary": "My upcoming sign-ups",
                                "responses": {"200": _json("SignupList", "Sign-ups"),
                                              **_errors(401)}}},
        "/me/recommendations": {"get": {
            "summary": "Suggestions for me, best first, with the reasons",
            "parameters": [
                _param("limit", {"type": "integer", "minimum": 1, "maximum": 50},
                       "How many (default 10)."),
                _param("max_minutes", {"type": "integer", "minimum": 1, "maximum": 1440},
                       "Only those that take at most this many minutes."),
            ],
            "responses": {"200": _json("RecommendationList", "Suggestions (may be empty)"),
                          **_errors(400, 401)}}},
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "matchmaker API", "version": "1.0.0",
                 "description": "Find and post volunteering opportunities, and sign up. "
                                "Every error is {\"error\": {\"code\", \"message\", "
                                "\"fields\"}}."},
        "servers": [{"url": url_for("api.get_me", _external=True).rsplit("/me", 1)[0]}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A personal API token (mm_…)."}},
        },
    }
