*** Settings ***
Documentation    Every error, the framework's own included, is RFC 9457 problem+json.

Resource         ../../keywords/health.resource

Test Tags        health    errors


*** Variables ***
&{JSON}         Content-Type=application/json
&{TEXT}         Content-Type=text/plain
${OVERSIZED}    ${{'{"email": "' + "x" * (1024 * 1024) + '"}'}}
# Past gunicorn's limits (4094 bytes of request line, 8190 of one header): refused before the app.
${LONG_URL}     /api/marketplace?q=${{"x" * 5000}}
&{HUGE}         X-Padding=${{"x" * 9000}}


*** Test Cases ***
Framework Errors Are Problems
    [Documentation]    Clients parse one error format, whatever layer refused the request.
    [Template]    Request Should Be Refused With
    404    not_found    GET    /api/no/such/route
    405    method_not_allowed    DELETE    /api/health
    405    method_not_allowed    PUT    /api/health/ready
    400    malformed_json    POST    /api/users/login    data={"email":    headers=${JSON}
    400    missing_body    POST    /api/users/login    headers=${JSON}
    415    unsupported_media_type    POST    /api/users/login    data=email=a    headers=${TEXT}
    413    payload_too_large    POST    /api/users/login    data=${OVERSIZED}    headers=${JSON}
    422    validation_error    POST    /api/users/login    data={}    headers=${JSON}
    414    uri_too_long    GET    ${LONG_URL}
    431    request_header_fields_too_large    GET    /api/health    headers=${HUGE}
