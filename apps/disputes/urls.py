from django.urls import path

from apps.disputes import views

urlpatterns = [
    path("disputes/", views.case_list, name="dispute_list"),
    path("disputes/owed/", views.supplier_owed, name="dispute_owed"),
    path("orders/<int:order_pk>/claim/", views.case_open, name="dispute_open"),
    path("disputes/<int:pk>/", views.case_detail, name="dispute_detail"),
    path("disputes/<int:pk>/answer/", views.case_answer, name="dispute_answer"),
    path("disputes/<int:pk>/accept-offer/", views.case_accept_offer, name="dispute_accept_offer"),
    path("disputes/<int:pk>/counter/", views.case_counter, name="dispute_counter"),
    path("disputes/<int:pk>/escalate/", views.case_escalate, name="dispute_escalate"),
    path("disputes/<int:pk>/evidence/", views.case_evidence_add, name="dispute_evidence_add"),
    path("disputes/<int:pk>/return/ship/", views.case_return_ship, name="dispute_return_ship"),
    path(
        "disputes/<int:pk>/return/confirm/",
        views.case_return_confirm,
        name="dispute_return_confirm",
    ),
    path(
        "disputes/<int:pk>/return/dispute/",
        views.case_return_dispute,
        name="dispute_return_dispute",
    ),
    path(
        "disputes/<int:pk>/decision/accept/",
        views.case_decision_accept,
        name="dispute_decision_accept",
    ),
    path("disputes/<int:pk>/appeal/", views.case_appeal, name="dispute_appeal"),
    path(
        "disputes/<int:pk>/evidence/<int:evidence_pk>/",
        views.case_evidence_file,
        name="dispute_evidence_file",
    ),
]
