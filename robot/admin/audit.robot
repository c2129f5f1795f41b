*** Settings ***
Documentation     The audit log: who did what to which record and when, newest first,
...               searchable by actor, action, target and period.

Resource          ../../keywords/admin.resource
Resource          ../../keywords/auth.resource

Suite Setup       Create Auditor
Suite Teardown    Disconnect From Api Database

Test Tags         admin    audit


*** Test Cases ***
Account Changes Are Found By Actor, Action And Target
    [Documentation]    Investigations start from a person, an action or a record.
    [Tags]    smoke    db
    ${admin} =    Create Admin
    ${buyer} =    Register Verified Buyer
    Change Role Of    ${buyer}    seller    as=${admin}
    Disable Account As    ${admin}    ${buyer}
    Account Should Be Persisted As    ${buyer}    role=seller    status=disabled
    ${entries} =    Audit Log Should Contain    ${AUDITOR}    2    target=${buyer}[id]
    Audit Entry Should Show Change    ${entries}[0]    status    active    disabled
    Audit Entry Should Show Change    ${entries}[1]    role    buyer    seller
    Audit Log Should Contain    ${AUDITOR}    2    actor=${admin}[id]
    Audit Log Should Contain    ${AUDITOR}    2    actor=${admin}[id]    action=user.update
    ...    target=${buyer}[id]

Audit Entries Are Found By Period
    [Documentation]    A period bounds the search at both ends, inclusively.
    [Tags]    db
    ${before} =    Current Database Time
    ${buyer} =    Register Verified Buyer
    Change Role Of    ${buyer}    seller    as=${AUDITOR}
    Account Change Should Be Audited    ${buyer}    ${AUDITOR}    role    buyer    seller
    ${after} =    Current Database Time
    Audit Log Should Contain    ${AUDITOR}    1    target=${buyer}[id]    from=${before}    to=${after}
    Audit Log Should Contain    ${AUDITOR}    0    target=${buyer}[id]    to=${before}
    Audit Log Should Contain    ${AUDITOR}    0    target=${buyer}[id]    from=${after}

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


*** Keywords ***
Create Auditor
    [Documentation]    The admin who reads the audit log in this suite.
    Connect To Api Database
    ${admin} =    Create Admin
    # robocop: off=VAR05
    # One reader serves every test: admins are costly to make and tests only read it.
    VAR    ${AUDITOR} =    ${admin}    scope=SUITE

Audit Query Should Be Refused
    [Documentation]    Reading the audit log with `params` is a 422 naming `field`.
    [Arguments]    ${field}    &{params}
    Report Query Should Be Refused    ${AUDITOR}    audit log    ${field}    &{params}
