*** Settings ***
Documentation     Only admins reach the console: everyone else is refused and nothing changes,
...               and not even an admin can change or erase the audit log.

Resource          ../../keywords/admin.resource
Resource          ../../keywords/auth.resource

Suite Setup       Create Access Cast
Suite Teardown    Disconnect From Api Database

Test Tags         admin    security    authorization


*** Test Cases ***
Buyers Cannot Read The Console
    [Documentation]    Accounts, payments and the audit trail are for admins' eyes only.
    [Tags]    smoke
    [Template]    Console Read Should Be Refused
    list users    ${BUYER}    403
    transactions    ${BUYER}    403
    audit log    ${BUYER}    403
    system status    ${BUYER}    403
    summary report    ${BUYER}    403

Sellers Cannot Read The Console
    [Documentation]    Sellers see their own sales, never the whole marketplace.
    [Template]    Console Read Should Be Refused
    list users    ${SELLER}    403
    transactions    ${SELLER}    403
    audit log    ${SELLER}    403
    system status    ${SELLER}    403
    summary report    ${SELLER}    403

Anonymous Callers Cannot Read The Console
    [Documentation]    Without a token the console does not even say who may use it.
    [Template]    Console Read Should Be Refused
    list users    ${NOBODY}    401
    transactions    ${NOBODY}    401
    audit log    ${NOBODY}    401
    system status    ${NOBODY}    401
    summary report    ${NOBODY}    401

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
Create Access Cast
    [Documentation]    A buyer, a seller, an anonymous caller, an admin and one audited change.
    Connect To Api Database
    ${buyer} =    Register Verified Buyer
    ${seller} =    Register Verified Seller
    ${admin} =    Create Admin
    ${promoted} =    Audited Promotion By    ${admin}
    # robocop: off=VAR05
    # The cast is shared on purpose: users are costly to make and these tests only read them.
    VAR    ${BUYER} =    ${buyer}    scope=SUITE
    VAR    ${SELLER} =    ${seller}    scope=SUITE
    VAR    ${ADMIN} =    ${admin}    scope=SUITE
    VAR    ${PROMOTED} =    ${promoted}    scope=SUITE
    VAR    ${NOBODY} =    ${NONE}    scope=SUITE

Promotion To Admin Should Be Refused
    [Documentation]    `actor` making the buyer an admin gets `status`; the account and the audit log are unchanged.
    [Arguments]    ${actor}    ${status}
    VAR    &{body} =    role=admin
    Account Change Should Be Refused    ${actor}    ${BUYER}[id]    ${body}    ${status}
    Account Should Be Persisted As    ${BUYER}    role=buyer    status=active
    Audit Rows About Should Be    ${BUYER}    0

Audit Log Write Should Leave The Trail
    [Documentation]    `method` on the audit log is refused, and the audited change is still on record.
    [Arguments]    ${method}
    Audit Log Write Should Be Refused    ${method}    ${ADMIN}
    Account Change Should Be Audited    ${PROMOTED}    ${ADMIN}    role    buyer    seller

Audited Promotion By
    [Documentation]    A fresh buyer whom `admin` made a seller, on record in the audit log.
    [Arguments]    ${admin}
    ${buyer} =    Register Verified Buyer
    Change Role Of    ${buyer}    seller    as=${admin}
    Account Change Should Be Audited    ${buyer}    ${admin}    role    buyer    seller
    RETURN    ${buyer}
