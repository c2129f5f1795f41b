*** Settings ***
Documentation     Only admins reach the console: everyone else is refused and nothing changes,
...               and not even an admin can change or erase the audit log.

Resource          ../../keywords/admin.resource
Resource          ../../keywords/cast.resource

Suite Setup       Register The Cast And A Promotion
Suite Teardown    Disconnect From Api Database

Test Tags         admin    security    authorization


*** Test Cases ***
Buyers Cannot Read The Console
    [Documentation]    Accounts, payments and the audit trail are for admins' eyes only.
    [Tags]    smoke
    [Template]    Console Read Should Be Refused
    ${BUYER}    list users    403
    ${BUYER}    transactions    403
    ${BUYER}    audit log    403
    ${BUYER}    system status    403
    ${BUYER}    summary report    403

Sellers Cannot Read The Console
    [Documentation]    Sellers see their own sales, never the whole marketplace.
    [Template]    Console Read Should Be Refused
    ${SELLER}    list users    403
    ${SELLER}    transactions    403
    ${SELLER}    audit log    403
    ${SELLER}    system status    403
    ${SELLER}    summary report    403

Anonymous Callers Cannot Read The Console
    [Documentation]    Without a token the console does not even say who may use it.
    [Template]    Console Read Should Be Refused
    ${NOBODY}    list users    401
    ${NOBODY}    transactions    401
    ${NOBODY}    audit log    401
    ${NOBODY}    system status    401
    ${NOBODY}    summary report    401

Only Admins Can Change Accounts
    [Documentation]    Nobody else can grant a role, their own least of all.
    [Tags]    db
    [Template]    Promotion To Admin Should Be Refused
    ${BUYER}    403
    ${SELLER}    403
    ${NOBODY}    401

The Audit Log Cannot Be Changed Or Erased
    [Documentation]    The audit trail is evidence: the API offers no way to alter it, even to admins.
    [Tags]    audit    db
    [Template]    Audit Log Write Should Leave The Trail
    DELETE
    PATCH
    PUT
    POST


*** Keywords ***
Register The Cast And A Promotion
    [Documentation]    The cast, and one change on record: a buyer the cast's `ADMIN` made a seller.
    Register The Cast
    ${promoted} =    Audited Promotion By    ${ADMIN}
    # robocop: off=VAR05
    # The evidence is shared on purpose: the tests only read it, and try to erase it.
    VAR    ${PROMOTED} =    ${promoted}    scope=SUITE

Promotion To Admin Should Be Refused
    [Documentation]    `actor` making the buyer an admin gets `status`; the account and the audit log are unchanged.
    [Arguments]    ${actor}    ${status}
    VAR    &{body} =    role=admin
    Account Change Should Be Refused    ${actor}    ${BUYER}[id]    ${body}    ${status}
    Account Should Be Persisted As    ${BUYER}    role=buyer    status=active
    Audit Should Record    any    ${BUYER}    count=0

Audit Log Write Should Leave The Trail
    [Documentation]    `method` on the audit log is refused, and the audited change is still on record.
    [Arguments]    ${method}
    Audit Log Write Should Be Refused    ${ADMIN}    ${method}
    Audit Should Record
    ...    user.update
    ...    ${PROMOTED}
    ...    by=${ADMIN}
    ...    kind=user
    ...    role=buyer -> seller

Audited Promotion By
    [Documentation]    A fresh buyer whom `admin` made a seller, on record in the audit log.
    [Arguments]    ${admin}
    ${buyer} =    Register Verified Buyer
    Change Role As    ${admin}    ${buyer}    seller
    Audit Should Record    user.update    ${buyer}    by=${admin}    kind=user    role=buyer -> seller
    RETURN    ${buyer}
