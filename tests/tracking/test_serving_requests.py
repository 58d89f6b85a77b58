"""Served models refuse wrongly typed or implausible requests with a 4xx naming the column and the value.

The checks live in the logged pyfunc, so ``load_model(...).predict``, the pyfunc itself and the real
HTTP server refuse the same requests; HTTP bodies carry no stack trace and no server path.
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request

import numpy as np
import pandas as pd
import pytest

from gridcrm.tracking.adapters import RequestError, check_request

INVALID = "INVALID_PARAMETER_VALUE"


def _risk_frame(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    from risk.conftest import make_frame

    X, y, _ = make_frame(n, seed=seed)
    X["blacklisted"] = np.random.default_rng(seed).random(n) < 0.1
    return X, y


@pytest.fixture(scope="module")
def served(tmp_path_factory, _mlflow_template_db):
    """A registered arrears model (+ a deliberately broken one) in a store of its own, for the whole module."""
    from gridcrm.risk import RiskClassifier
    from gridcrm.tracking import configure, load_model, log_model, promote, tracked_run

    tmp = tmp_path_factory.mktemp("serving-requests")
    shutil.copyfile(_mlflow_template_db, tmp / "mlruns.db")
    uri = f"sqlite:///{tmp / 'mlruns.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.chdir(tmp)
        configure(uri)
        X, y = _risk_frame(600, seed=5)
        clf = RiskClassifier(n_jobs=1, n_estimators=20).fit(X, y)
        example = X.reset_index().head(5)
        with tracked_run("arrears", "requests"):
            info = log_model({"model": clf, "cuts": {"high": 0.5, "elevated": 0.3}}, "risk", example,
                             params={"n_reasons": 3}, registered_model_name="gridcrm-arrears")
            # cuts that only broadcast against 5 rows: any other request size fails inside the model
            broken = log_model({"model": clf, "cuts": {"high": np.full(5, 0.5), "elevated": np.full(5, 0.3)}}, "risk",
                               example, registered_model_name="gridcrm-broken")
        promote("gridcrm-arrears", info.registered_model_version, "n", lambda m: 1.0)
        promote("gridcrm-broken", broken.registered_model_version, "n", lambda m: 1.0)
        yield {"uri": uri, "model": load_model("gridcrm-arrears"), "broken": load_model("gridcrm-broken"),
               "clf": clf, "request": X.reset_index().iloc[:4]}


def _bad(request: pd.DataFrame, column: str, values: list) -> pd.DataFrame:
    out = request.copy()
    out[column] = pd.Series(values, dtype=object) if any(isinstance(v, str) for v in values) else values
    return out


CASES = [  # column, values (4 rows), what the message must name
    ("blacklisted", ["false", "no", "0", True], ["'false'", "'no'", "'0'", "true or false"]),
    ("blacklisted", [0, 1, 0, 1], ["not booleans", "0", "true or false"]),
    ("late_bills_365d", [2.7, 1, 0, 3], ["2.7", "whole number"]),
    ("arrears_amount", [9.9e18, 0.0, 10.0, 0.0], ["9.9e+18", "out of range", "CNY"]),
    ("on_time_rate_365d", [1.5, 0.5, -0.2, 1.0], ["1.5", "-0.2", "from 0 to 1"]),
    ("customer_class", ["martian", "residential", "commercial", "residential"], ["'martian'", "'residential'"]),
    ("arrears_amount", ["abc", "1", "2", "3"], ["'abc'", "not a number"]),
    ("arrears_amount", [np.inf, 0.0, -np.inf, 1.0], ["inf", "infinite"]),
    ("arrears_amount", [np.nan, 0.0, 1.0, 2.0], ["missing", "no meaning"]),
    ("customer_id", [-1, 1001, 1002, 1003], ["-1", "at least 0"]),
]


@pytest.mark.parametrize(("column", "values", "named"), CASES,
                         ids=["bool-strings", "bool-numbers", "non-integral-int", "absurd-money", "share-range",
                              "unknown-category", "non-numeric-string", "inf", "nan-without-meaning", "negative-id"])
def test_load_model_refuses_a_bad_column_naming_it_and_its_values(served, column, values, named):
    from mlflow.exceptions import MlflowException

    request = _bad(served["request"], column, values)
    with pytest.raises(MlflowException) as err:
        served["model"].predict(request)
    assert err.value.error_code == INVALID
    assert err.value.get_http_status_code() == 400
    message = str(err.value)
    assert message.startswith("invalid request: ") and f"column {column!r}" in message, message
    for text in named:
        assert text in message, message
    assert isinstance(err.value.__cause__, RequestError)
    # the plain pyfunc (what `mlflow models serve` runs) refuses it the same way
    with pytest.raises(MlflowException, match=f"column '{column}'"):
        served["model"].pyfunc.predict(request)


def test_valid_requests_score_as_the_classifier_and_all_bad_columns_are_named_at_once(served):
    from mlflow.exceptions import MlflowException

    request = served["request"]
    got = served["model"].predict(request)
    features = request.drop(columns="customer_id").astype({"customer_class": "category"})
    np.testing.assert_allclose(got["probability"], served["clf"].predict_proba(features)[:, 1], rtol=1e-12)
    # a share a hair above 1 (floating-point sums) is a share: accepted
    np.testing.assert_allclose(served["model"].predict(_bad(request, "on_time_rate_365d", [1 + 1e-12] * 4))
                               ["probability"], served["model"].predict(_bad(request, "on_time_rate_365d", [1.0] * 4))
                               ["probability"], rtol=1e-12)
    bad = _bad(_bad(request, "blacklisted", ["false", True, False, True]), "late_bills_365d", [2.7, 1, 0, 3])
    with pytest.raises(MlflowException) as err:
        served["model"].predict(bad)
    assert "'blacklisted'" in str(err.value) and "'late_bills_365d'" in str(err.value)
    with pytest.raises(MlflowException, match="'n_reasons' must be a whole number from 0 to 20, got 99") as err:
        served["model"].predict(request, params={"n_reasons": 99})
    assert err.value.error_code == INVALID


def test_an_internal_error_is_a_500_without_traceback_or_path(served):
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException) as err:
        served["broken"].predict(served["request"])  # 4 rows: the broken cuts do not broadcast
    assert err.value.error_code == "INTERNAL_ERROR" and err.value.get_http_status_code() == 500
    body = json.loads(err.value.serialize_as_json())
    assert set(body) == {"error_code", "message"}
    assert "ValueError" in body["message"] and "/" not in body["message"] and "Traceback" not in body["message"]
    assert isinstance(err.value.__cause__, ValueError)  # in process the cause is still there to debug


def test_check_request_values_and_conversions():
    ok = check_request(pd.DataFrame({
        "customer_id": pd.Series([1, 2], dtype=object),
        "arrears_count": [1.0, 2.0],  # whole numbers sent as JSON floats
        "on_time_rate_365d": [1 + 5e-10, -5e-10],  # within 1e-9 of [0, 1]: clipped
        "kwh_mean_28d": ["1.5", 2],  # any window; a number spelled as a string is a number
        "months_since_last_arrears": [None, 3.0],  # NaN means "never in arrears"
        "blacklisted": pd.Series([True, False], dtype=object),
        "visits": [3, 4],  # not a gridcrm feature: passed through unchecked unless the model was logged with it
    }))
    assert ok.dtypes.astype(str).to_dict() == {"customer_id": "int64", "arrears_count": "int64",
                                               "on_time_rate_365d": "float64", "kwh_mean_28d": "float64",
                                               "months_since_last_arrears": "float64", "blacklisted": "bool",
                                               "visits": "int64"}
    assert ok["on_time_rate_365d"].tolist() == [1.0, 0.0]
    assert ok["kwh_mean_28d"].tolist() == [1.5, 2.0]
    # columns the model was logged with are required and checked by their logged kind
    with pytest.raises(RequestError, match=r"column 'visits' has 1 value that is not a whole number, e\.g\. 2\.5"):
        check_request(pd.DataFrame({"visits": [2.5, 1.0]}), {"visits": "int"})
    with pytest.raises(RequestError, match=r"missing column\(s\) 'visits'"):
        check_request(pd.DataFrame({"arrears_count": [1]}), {"visits": "int", "arrears_count": "int"})
    with pytest.raises(RequestError, match=r"column 'region' has 1 value that is not text, e\.g\. 3"):
        check_request(pd.DataFrame({"region": pd.Series(["east", 3], dtype=object)}))
    # credit and value models score on the indicators they have: NaN is allowed there, never in an id
    indicators = pd.DataFrame({"customer_id": [1, 2], "tenure_years": [np.nan, 3.0]})
    assert check_request(indicators, kind="credit")["tenure_years"].isna().tolist() == [True, False]
    with pytest.raises(RequestError, match="'tenure_years' has 1 missing value"):
        check_request(indicators, kind="risk")
    with pytest.raises(RequestError, match="'customer_id' has 1 missing value"):
        check_request(pd.DataFrame({"customer_id": [np.nan, 2.0]}), kind="credit")
    # long offending values are shortened, and at most three distinct ones are shown
    long = "x" * 500
    with pytest.raises(RequestError) as err:
        check_request(pd.DataFrame({"preferred_channel": [long, "a", "b", "c", "d"]}))
    assert "5 values that are not allowed" in str(err.value) and len(str(err.value)) < 300


def test_check_request_is_vectorised_over_100k_rows():
    import time

    n = 100_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"customer_id": np.arange(n), "arrears_amount": rng.gamma(2, 200, n),
                          "on_time_rate_365d": rng.random(n), "late_bills_365d": rng.poisson(1, n),
                          "blacklisted": rng.random(n) < 0.1,
                          "customer_class": rng.choice(["residential", "commercial"], n)})
    start = time.perf_counter()
    check_request(frame)
    assert time.perf_counter() - start < 5  # ~0.04 s measured; a per-row Python loop takes far longer
    frame.loc[n - 1, "arrears_amount"] = 9.9e18
    with pytest.raises(RequestError, match=r"'arrears_amount' has 1 value that is out of range, e\.g\. 9\.9e\+18"):
        check_request(frame)


def _post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


LEAKS = ("Traceback", "stack_trace", "/site-packages/", "/tmp", "File \"")


def _assert_two_keys(status: int, body: str, tmp: str) -> dict:
    """An error body: exactly error_code and message, no stack trace, no server path."""
    assert status >= 400, body
    parsed = json.loads(body)
    assert set(parsed) == {"error_code", "message"}, body
    for leak in (*LEAKS, tmp):
        assert leak not in body, body
    return parsed


@pytest.fixture(scope="module")
def broken_server(served):
    """One real server (each start costs ~10 s) of the broken model: right for 5-row requests, fails on others."""
    from gridcrm.tracking import ModelServer

    with ModelServer("models:/gridcrm-broken@champion", tracking_uri=served["uri"]) as server:
        yield f"{server.url}/invocations"


def _split(frame: pd.DataFrame) -> bytes:
    return json.dumps({"dataframe_split": json.loads(frame.to_json(orient="split", index=False,
                                                                   double_precision=15))}).encode()


def _five(served) -> pd.DataFrame:
    request = served["request"]
    return pd.concat([request, request.head(1)], ignore_index=True)  # the broken model answers 5 rows


@pytest.mark.slow
def test_real_server_answers_400_naming_the_column_and_no_stack_trace(served, broken_server, tmp_path_factory):
    request, url, five = served["request"], broken_server, _five(served)
    status, body = _post(url, _split(five))
    assert status == 200, body
    bad = {
        "blacklisted": _split(_bad(five, "blacklisted", ["false", "no", "0", True, False])),
        "late_bills_365d": _split(_bad(five, "late_bills_365d", [2.7, 1, 0, 3, 1])),
        "arrears_amount": _split(_bad(five, "arrears_amount", [9.9e18, 0.0, 1.0, 0.0, 2.0])),
    }
    answers = {column: _post(url, body) for column, body in bad.items()}
    answers["internal"] = _post(url, _split(request))  # 4 rows: fails inside the model
    for column, (status, body) in answers.items():
        parsed = _assert_two_keys(status, body, str(tmp_path_factory.getbasetemp()))
        if column == "internal":
            assert status == 500 and parsed["error_code"] == "INTERNAL_ERROR", body
        else:
            assert status == 400 and parsed["error_code"] == INVALID, body
            assert f"column '{column}'" in parsed["message"], body
    assert "'false'" in json.loads(answers["blacklisted"][1])["message"]
    assert "2.7" in json.loads(answers["late_bills_365d"][1])["message"]
    assert "9.9e+18" in json.loads(answers["arrears_amount"][1])["message"]


@pytest.mark.slow
def test_real_server_reads_csv_as_the_same_request_and_checks_it(served, broken_server, tmp_path_factory):
    url, five = broken_server, _five(served)
    status, body = _post(url, _split(five))
    assert status == 200, body
    by_json = pd.DataFrame(json.loads(body)["predictions"])
    status, body = _post(url, five.to_csv(index=False).encode(), "text/csv")
    assert status == 200, body
    by_csv = pd.DataFrame(json.loads(body)["predictions"])
    assert list(by_csv["customer_id"]) == list(five["customer_id"])
    np.testing.assert_allclose(by_csv["probability"], by_json["probability"], rtol=1e-9)
    np.testing.assert_allclose(by_csv["probability"], served["broken"].predict(five)["probability"], rtol=1e-9)
    assert list(by_csv["risk_grade"]) == list(by_json["risk_grade"])
    assert list(by_csv["reasons"]) == list(by_json["reasons"])
    status, body = _post(url, five.to_csv(index=False).encode(), "text/csv; charset=utf-8")
    assert status == 200, body
    # CSV is read as pandas reads it ("false" is a boolean), then checked by the model like JSON
    csv_text = _bad(_bad(five, "blacklisted", ["no", "false", "True", "0", "FALSE"]), "late_bills_365d",
                    [2.7, 1, 0, 3, 1]).to_csv(index=False)
    status, body = _post(url, csv_text.encode(), "text/csv")
    message = _assert_two_keys(status, body, str(tmp_path_factory.getbasetemp()))["message"]
    assert status == 400 and json.loads(body)["error_code"] == INVALID, body
    assert "column 'blacklisted'" in message and "'no'" in message and "'0'" in message, message
    assert "'false'" not in message and "'True'" not in message, message
    assert "column 'late_bills_365d'" in message and "2.7" in message, message


MALFORMED = [  # body, content type, status, what the message must say
    (b"customer_id,arrears_amount\n1,2.0,3\n", "text/csv", 400, "3 fields on line 2, the header has 2"),
    (b"customer_id,arrears_amount\n1\n", "text/csv", 400, "1 field on line 2, the header has 2"),
    (b"customer_id,customer_id\n1,2\n", "text/csv", 400, "names column 'customer_id' twice"),
    (b'customer_id,arrears_amount\n1,"2.0\n', "text/csv", 400, "could not be read"),
    (b"customer_id\n\xff\xfe\n", "text/csv", 400, "not UTF-8"),
    (b"", "text/csv", 400, "empty"),
    (b"{not json", "application/json", 400, "valid JSON"),
    (b"\xff\xfe garbage", "application/json", 400, "valid JSON"),
    (b"[1, 2]", "application/json", 400, "list"),
    (b"PAR1 not parquet", "application/vnd.apache.parquet", 400, "Parquet"),
    (b"customer_id\n1\n", "text/plain", 415, "text/csv"),
]


@pytest.mark.slow
def test_real_server_answers_malformed_bodies_with_two_keys_and_no_stack_trace(broken_server, tmp_path_factory):
    answers = [(_post(broken_server, body, content_type), status, named)
               for body, content_type, status, named in MALFORMED]
    for (status, body), expected, named in answers:
        parsed = _assert_two_keys(status, body, str(tmp_path_factory.getbasetemp()))
        assert status == expected and parsed["error_code"] == "BAD_REQUEST", body
        assert named in parsed["message"] and "\n" not in parsed["message"], body
    with pytest.raises(urllib.error.HTTPError) as err:  # any path, any method
        urllib.request.urlopen(broken_server.replace("/invocations", "/nowhere"), timeout=30)
    _assert_two_keys(err.value.code, err.value.read().decode(), str(tmp_path_factory.getbasetemp()))
