*** Settings ***
Documentation     The audit log: who did what to which record and when, newest first,
...               searchable by actor, action, target and period.

Resource          ../../keywords/admin.resource
Resource          ../../keywords/cast.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         admin    audit


*** Test Cases ***
Account Changes Are Found By Actor, Action And Target
    [Documentation]    Investigations start from a person, an action or a record.
    [Tags]    smoke    db
    ${other_admin} =    Create Admin
    ${buyer} =    Register Verified Buyer
    Change Role As    ${other_admin}    ${buyer}    seller
    Disable Account As    ${other_admin}    ${buyer}
    Account Should Be Persisted As    ${buyer}    role=seller    status=disabled
    ${entries} =    Audit Log Should Contain    ${ADMIN}    2    target=${buyer}[id]
    Audit Entry Should Show Change    ${entries}[0]    status    active    disabled
    Audit Entry Should Show Change    ${entries}[1]    role    buyer    seller
    Audit Log Should Contain    ${ADMIN}    2    actor=${other_admin}[id]
    Audit Log Should Contain    ${ADMIN}    2    actor=${other_admin}[id]    action=user.update
    ...    target=${buyer}[id]

Audit Entries Are Found By Period
    [Documentation]    A period bounds the search at both ends, inclusively.
    [Tags]    db
    ${before} =    Current Database Time
    ${buyer} =    Register Verified Buyer
    Change Role As    ${ADMIN}    ${buyer}    seller
    Audit Should Record    user.update    ${buyer}    by=${ADMIN}    kind=user    role=buyer -> seller
    ${after} =    Current Database Time
    Audit Log Should Contain    ${ADMIN}    1    target=${buyer}[id]    from=${before}    to=${after}
    Audit Log Should Contain    ${ADMIN}    0    target=${buyer}[id]    to=${before}
    Audit Log Should Contain    ${ADMIN}    0    target=${buyer}[id]    from=${after}

An Unpaged Read Answers The Documented First Page
    [Documentation]    A client that sends no paging gets the page and size /api/openapi.json promises.
    [Tags]    contract
    ${page} =    Audit Log As    ${ADMIN}
    Page Should Follow Documented Defaults    ${page}    /api/admin/audit-log

Bad Audit Filters Are Refused
    [Documentation]    A filter the API cannot apply is an error, never a silently wider search.
    [Tags]    validation
    [Template]    Audit Query Should Be Refused
    actor    actor=not-a-uuid
    from    from=soon
    to    to=2024-02-30
    from    from=2024-06-02    to=2024-06-01
    page    page=0
    per_page    per_page=101
    since    since=2024-01-01
    target    target=${EMPTY}
    target    target=${{"x" * 201}}
    sort    sort=newest


*** Keywords ***
Audit Query Should Be Refused
    [Documentation]    Reading the audit log with `params` is a 422 naming `field`.
    [Arguments]    ${field}    &{params}
    Report Query Should Be Refused    ${ADMIN}    audit log    ${field}    &{params}
