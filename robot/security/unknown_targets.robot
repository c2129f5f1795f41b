*** Settings ***
Documentation     Requests about something that does not exist, or asked in a way the API does not
...               know, are refused with a problem and change nothing.

Library           String
Resource          ../../keywords/api.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         security    errors    db


*** Test Cases ***
Acting On An Unknown Target Is Not Found
    [Documentation]    A guessed id learns nothing and changes nothing, whoever asks and with a valid body.
    [Template]    Acting On An Unknown Target Should Be Refused
    ${ADMIN}    /api/admin/disputes/{id}/resolve    ${{{"outcome": "reject", "note": "none"}}}
    ${ADMIN}    /api/admin/listings/{id}/reject    ${{{"reason": "unknown listing"}}}
    ${ADMIN}    /api/admin/listings/{id}/suspend    ${{{"reason": "unknown listing"}}}
    ${BUYER}    /api/payments/{id}/confirm    ${{{"payment_method": "pm_card_visa"}}}
    ${BUYER}    /api/payments/{id}/disputes    ${{{"reason": "not_received"}}}

A List Asked With Unknown Filters Is Refused
    [Documentation]    A filter the API does not know is a 422 naming it, not a silently unfiltered list.
    [Template]    Listing With Query Should Be Refused
    ${ADMIN}    /api/admin/disputes    status=lost
    ${ADMIN}    /api/admin/disputes    per_page=0
    ${BUYER}    /api/payments    per_page=1000
    ${BUYER}    /api/payments    colour=blue


*** Keywords ***
Acting On An Unknown Target Should Be Refused
    [Documentation]    `actor` POSTs `body` to `template` with a random id: 404, and no audit row names the id.
    [Arguments]    ${actor}    ${template}    ${body}
    VAR    ${id} =    ${{str(uuid.uuid4())}}
    ${path} =    Replace String    ${template}    {id}    ${id}
    ${response} =    Call Api    POST    ${path}    as=${actor}    json=${body}
    Problem Should Be    ${response}    404
    Row Count Should Be    0    SELECT count(*) FROM audit_log WHERE target_id = %s    ${id}

Listing With Query Should Be Refused
    [Documentation]    `actor` GETs `path` with `query` (name=value): 422 naming the parameter.
    [Arguments]    ${actor}    ${path}    ${query}
    ${name}    ${value} =    Split String    ${query}    =    1
    VAR    &{params} =    ${name}=${value}
    ${response} =    Call Api    GET    ${path}    as=${actor}    params=${params}
    Problem Should Be    ${response}    422
    Should Contain    ${response.text}    ${name}
