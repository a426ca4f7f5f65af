"""The pages of a refusal (403) and of something not found (404): in Chinese, inside the site's
navigation, naming what is missing in words rather than codes; JSON under /api/ and /open311/."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from gridgov.core.labels import reason_of


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/open311/"))


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    reason = reason_of(exception)
    if _is_api(request):
        return JsonResponse(
            {"detail": reason or "没有权限"}, status=403, json_dumps_params={"ensure_ascii": False}
        )
    return render(request, "errors/403.html", {"reason": reason}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "not found"}, status=404)
    return render(request, "errors/404.html", {"reason": reason_of(exception)}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """No template context (the error may be in it): a plain page."""
    if _is_api(request):
        return JsonResponse(
            {"detail": "服务器内部错误"}, status=500, json_dumps_params={"ensure_ascii": False}
        )
    return HttpResponse(
        '<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>服务器内部错误</title>'
        '<h1>服务器内部错误</h1><p>请稍后重试；问题已记录。</p><p><a href="/">返回首页</a></p></html>',
        status=500,
    )


__all__ = ["Http404", "PermissionDenied", "forbidden", "not_found", "reason_of", "server_error"]
