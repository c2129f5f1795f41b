*** Settings ***
Documentation    Every error, the framework's own included, is RFC 9457 problem+json.

Resource         ../../keywords/health.resource

Test Tags        health    errors


*** Test Cases ***
Framework Errors Are Problems
    [Documentation]    Clients parse one error format, whatever layer refused the request.
    [Template]    Request Should Be Refused With
    404    not_found    GET    /api/no/such/route
    405    method_not_allowed    DELETE    /api/health
    405    method_not_allowed    PUT    /api/health/ready
