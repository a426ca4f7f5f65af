from django.urls import path

from gridgov.academy.views import cases, courses, hours, sessions

app_name = "academy"
urlpatterns = [
    path("", courses.home, name="home"),
    path("courses/", courses.course_list, name="courses"),
    path("courses/<int:course_id>/", courses.course, name="course"),
    path("courses/<int:course_id>/file", courses.course_file, name="course_file"),
    path("courses/<int:course_id>/questions/", courses.course_questions, name="course_questions"),
    path("courses/<int:course_id>/complete/", courses.course_complete, name="course_complete"),
    path("lecturers/", courses.lecturer_list, name="lecturers"),
    path("lecturers/<int:lecturer_id>/", courses.lecturer, name="lecturer"),
    path("sessions/", sessions.session_list, name="sessions"),
    path("sessions/<int:studysession_id>/", sessions.session, name="session"),
    path("sessions/<int:studysession_id>/qr/", sessions.session_qr, name="session_qr"),
    path(
        "sessions/<int:studysession_id>/signup/", sessions.session_action, {"action": "signup"}, name="signup"
    ),
    path(
        "sessions/<int:studysession_id>/withdraw/",
        sessions.session_action,
        {"action": "withdraw"},
        name="withdraw",
    ),
    path(
        "sessions/<int:studysession_id>/cancel/",
        sessions.session_action,
        {"action": "cancel"},
        name="cancel_session",
    ),
    path("signups/<int:signup_id>/attend/", sessions.signup_attend, name="attend"),
    path("cases/", cases.case_list, name="cases"),
    path("cases/<int:case_id>/", cases.case, name="case"),
    path("cases/<int:case_id>/submit/", cases.case_action, {"action": "submit"}, name="submit_case"),
    path("cases/<int:case_id>/approve/", cases.case_action, {"action": "approve"}, name="approve_case"),
    path("cases/<int:case_id>/return/", cases.case_action, {"action": "return"}, name="return_case"),
    path("cases/<int:case_id>/withdraw/", cases.case_action, {"action": "withdraw"}, name="withdraw_case"),
    path("hours/", hours.hours, name="hours"),
    path("hours.xlsx", hours.hours_export, name="hours_export"),
    path("hours/requirement/", hours.requirement, name="requirement"),
    path("hours/record/", hours.record, name="record"),
]
