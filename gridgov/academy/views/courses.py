"""Courses, their material and quiz, and lecturers; the academy's front page."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gridgov.academy import files, selectors, services
from gridgov.academy.models import Course, CourseKind, Lecturer
from gridgov.academy.views import attempt, user_of
from gridgov.accounts.roles import Cap
from gridgov.accounts.scope import get_visible_or_404, scope_of
from gridgov.hierarchy.models import Node


def _node(request: HttpRequest) -> Node | None:
    raw = request.POST.get("node_id") or ""
    if not raw.isdigit():
        return None
    return get_visible_or_404(Node.objects.all(), user_of(request), Cap.MANAGE_STAFF, pk=raw)


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    year = selectors.this_year()
    mine = selectors.own_signups(user)
    upcoming = selectors.sessions_for(user).filter(published=True, cancelled=False)[:8]
    return render(
        request,
        "academy/home.html",
        {
            "may_manage": selectors.may_manage(user),
            "courses": selectors.learner_courses(user)[:12],
            "sessions": [(s, mine.get(s.pk)) for s in upcoming],
            "cases": selectors.published_cases(user)[:8],
            "mine": selectors.my_hours(user, year),
        },
    )


@never_cache
@login_required
def course_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        fields = {
            k: request.POST.get(k, "")
            for k in ("kind", "title", "summary", "hours", "pass_mark", "url", "lecturer_id", "published")
        }
        made: list[Course] = []

        def create() -> None:
            made.append(
                services.create_course(
                    user=user, node=_node(request), upload=request.FILES.get("file"), **fields
                )
            )

        answer = attempt(request, create, "课程已创建", "academy:courses")
        return redirect("academy:course", course_id=made[0].pk) if made else answer
    return render(
        request,
        "academy/courses.html",
        {
            "courses": selectors.courses_for(user)[:300],
            "may_manage": selectors.may_manage(user),
            "nodes": selectors.managed_nodes(user),
            "lecturers": selectors.lecturers_for(user)[:200],
            "kinds": CourseKind.choices,
        },
    )


@never_cache
@login_required
def course(request: HttpRequest, course_id: int) -> HttpResponse:
    user = user_of(request)
    found = selectors.course_detail(user, course_id)
    manage = scope_of(user, Cap.MANAGE_STAFF).covers(found.path)
    if request.method == "POST":
        if not manage:
            raise Http404("not found")
        fields = {
            k: request.POST[k]
            for k in ("title", "summary", "hours", "pass_mark", "url", "lecturer_id")
            if k in request.POST
        }
        fields["published"] = request.POST.get("published", "")

        def save() -> None:
            services.update_course(
                user=user,
                course=found,
                version=request.POST.get("version"),
                upload=request.FILES.get("file"),
                **fields,
            )

        return attempt(request, save, "已保存", "academy:course", course_id=found.pk)
    return render(
        request,
        "academy/course.html",
        {
            "course": found,
            "manage": manage,
            "questions": list(found.questions.all()),
            "lecturers": selectors.lecturers_for(user)[:200],
            "done": selectors.completed(user, found),
        },
    )


@login_required
@require_POST
def course_questions(request: HttpRequest, course_id: int) -> HttpResponse:
    user = user_of(request)
    found = get_visible_or_404(Course.objects.all(), user, Cap.MANAGE_STAFF, pk=course_id)
    if request.POST.get("remove"):
        return attempt(
            request,
            lambda: services.remove_question(user=user, course=found, question_id=request.POST["remove"]),
            "已删除",
            "academy:course",
            course_id=found.pk,
        )
    return attempt(
        request,
        lambda: services.add_question(
            user=user,
            course=found,
            text_value=request.POST.get("text"),
            choices=request.POST.get("choices"),
            answer=request.POST.get("answer"),
        ),
        "已添加测验题",
        "academy:course",
        course_id=found.pk,
    )


@login_required
@require_POST
def course_complete(request: HttpRequest, course_id: int) -> HttpResponse:
    user = user_of(request)
    found = selectors.course_detail(user, course_id)
    return attempt(
        request,
        lambda: services.complete_course(user=user, course=found),
        "已记录学时",
        "academy:course",
        course_id=found.pk,
    )


@never_cache
def course_file(request: HttpRequest, course_id: int) -> HttpResponse:
    """The course's material, to those who may see the course (never a public /media/ URL): the
    signed-in user, or a phone's short-lived link (`?t=`). One byte range at a time for a video
    that seeks."""
    reader = selectors.material_reader(request.user, request.GET.get("t", "")[:300], course_id)
    if reader is None:
        return redirect_to_login(request.get_full_path())
    found = selectors.course_detail(reader, course_id)
    if not found.file_name:
        raise Http404("no file")
    try:
        handle = files.open_file(found.file_name)
    except OSError:
        raise Http404("file missing") from None
    size = found.size
    try:
        wanted = files.byte_range(request.headers.get("Range", ""), size)
    except ValueError:
        handle.close()
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    inline = found.content_type in ("application/pdf", "video/mp4", "video/webm")
    name = found.original_name or f"course-{found.pk}"
    response: HttpResponse | StreamingHttpResponse | FileResponse
    if wanted is None:
        response = FileResponse(
            handle, content_type=found.content_type, as_attachment=not inline, filename=name
        )
    else:
        first, last = wanted
        response = StreamingHttpResponse(
            files.chunks(handle, first, last), status=206, content_type=found.content_type
        )
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response  # type: ignore[return-value]


@never_cache
@login_required
def lecturer_list(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    if request.method == "POST":
        fields: dict[str, Any] = {
            k: request.POST.get(k, "") for k in ("name", "title", "bio", "fengqiao_team")
        }
        return attempt(
            request,
            lambda: services.save_lecturer(user=user, node=_node(request), **fields),
            "讲师已添加",
            "academy:lecturers",
        )
    return render(
        request,
        "academy/lecturers.html",
        {
            "lecturers": selectors.lecturers_for(user)[:300],
            "may_manage": selectors.may_manage(user),
            "nodes": selectors.managed_nodes(user),
        },
    )


@never_cache
@login_required
def lecturer(request: HttpRequest, lecturer_id: int) -> HttpResponse:
    user = user_of(request)
    found = get_visible_or_404(Lecturer.objects.all(), user, pk=lecturer_id)
    manage = scope_of(user, Cap.MANAGE_STAFF).covers(found.path)
    if request.method == "POST":
        if not manage:
            raise Http404("not found")
        fields: dict[str, Any] = {
            k: request.POST.get(k, "") for k in ("name", "title", "bio", "fengqiao_team", "active")
        }
        return attempt(
            request,
            lambda: services.save_lecturer(user=user, node=None, lecturer=found, **fields),
            "已保存",
            "academy:lecturer",
            lecturer_id=found.pk,
        )
    return render(
        request,
        "academy/lecturer.html",
        {
            "lecturer": found,
            "manage": manage,
            "courses": selectors.courses_for(user).filter(lecturer=found)[:50],
        },
    )
