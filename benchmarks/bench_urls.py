"""The URLconf of benchmarks/order_flow.py, and only of it (the product's URLs never include
it): every route of config.urls, so the real API serves the order flow and the services can
reverse the portal links they put in notifications, plus three baselines that show what this
stack costs with nearly nothing to do:

  GET  /bench/json/          a plain JSON answer, no database;
  POST /bench/insert/        one INSERT (autocommit) into bench_insert;
  POST /bench/lock/<id>/     SELECT ... FOR UPDATE of one bench_row, then UPDATE it, in one
                             transaction.

The same three as DRF views under /bench/api/..., with the API's token authentication and
permission, show how much of an API call's cost is the framework and how much the order flow.

order_flow.py creates the two tables in its scratch database; nothing else has them."""

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler403, handler404, handler429, handler500  # noqa: F401
from config.urls import urlpatterns as product_urlpatterns


def insert_row(payload):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_insert (payload, created_at) VALUES (%s, now()) RETURNING id",
            [payload[:200]],
        )
        return cursor.fetchone()[0]


def lock_and_update_row(row_id):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT value FROM bench_row WHERE id = %s FOR UPDATE", [row_id])
        (value,) = cursor.fetchone()
        cursor.execute(
            "UPDATE bench_row SET value = %s, updated_at = now() WHERE id = %s",
            [value + 1, row_id],
        )
    return value + 1


@require_GET
def plain_json(request):
    return JsonResponse({"status": "ok", "service": "pactline"})


@csrf_exempt
@require_POST
def one_insert(request):
    return JsonResponse({"id": insert_row(request.body.decode())}, status=201)


@csrf_exempt
@require_POST
def lock_and_update(request, row_id):
    return JsonResponse({"id": row_id, "value": lock_and_update_row(row_id)})


class ApiJson(APIView):
    def get(self, request):
        return Response({"status": "ok", "service": "pactline"})


class ApiInsert(APIView):
    def post(self, request):
        return Response({"id": insert_row(request.body.decode())}, status=201)


class ApiLock(APIView):
    def post(self, request, row_id):
        return Response({"id": row_id, "value": lock_and_update_row(row_id)})


urlpatterns = [
    path("bench/json/", plain_json),
    path("bench/insert/", one_insert),
    path("bench/lock/<int:row_id>/", lock_and_update),
    path("bench/api/json/", ApiJson.as_view()),
    path("bench/api/insert/", ApiInsert.as_view()),
    path("bench/api/lock/<int:row_id>/", ApiLock.as_view()),
    *product_urlpatterns,
]
