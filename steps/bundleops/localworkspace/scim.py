"""SCIM Me: who the caller is. A service principal's userName is its application id, as on Databricks."""

from __future__ import annotations

from bundleops.localworkspace.http import Request, Response, Route
from bundleops.localworkspace.identity import Directory


def routes(directory: Directory) -> list[Route]:
    def me(request: Request) -> Response:
        from databricks.sdk.service.iam import ComplexValue, User

        principal = directory.principal(request.principal or "")
        emails = None if principal.is_service_principal else [ComplexValue(value=principal.user_name, primary=True)]
        user = User(id=principal.id, user_name=principal.user_name, display_name=principal.display_name, active=True, emails=emails)
        return Response(body=user.as_dict(), content_type="application/scim+json")

    return [Route("GET", r"/api/2\.0/preview/scim/v2/Me", me)]
