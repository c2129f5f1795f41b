*** Settings ***
Documentation     Moderation: only approved listings are public and purchasable; admins approve,
...               reject, suspend and reinstate, and every action is recorded.

Resource          ../../keywords/api.resource
Resource          ../../keywords/audit.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/listings.resource
Resource          ../../keywords/purchases.resource
Resource          ../../keywords/search.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         marketplace    listings    moderation    db


*** Test Cases ***
Approval Makes A Listing Public
    [Documentation]    An approved listing is found by buyers and readable by anyone.
    [Tags]    smoke
    ${listing} =    Create Listing As    ${SELLER}    commodity=manganese
    Search Should Not Find    ${listing}    seller_id=${SELLER}[id]    commodity=manganese
    Approve Listing As    ${ADMIN}    ${listing}
    Listing Should Be Persisted    ${listing}    status=active    status_reason=None    version=2
    Search Should Find    ${listing}    seller_id=${SELLER}[id]    commodity=manganese
    Read Listing As    ${NOBODY}    ${listing}

Rejection Keeps A Listing Private And Tells The Seller Why
    [Documentation]    The seller sees the reason; nobody else sees the listing.
    ${listing} =    Create Listing As    ${SELLER}
    Reject Listing As    ${ADMIN}    ${listing}    No export licence attached
    Listing Should Be Persisted    ${listing}    status=rejected    status_reason=No export licence attached
    ${seen} =    Read Listing As    ${SELLER}    ${listing}
    Should Be Equal    ${seen.json()}[status_reason]    No export licence attached
    Listing Should Be Hidden From    ${BUYER}    ${listing}
    Search Should Not Find    ${listing}    seller_id=${SELLER}[id]

Suspension Hides A Listing And Blocks Purchase
    [Documentation]    A suspended listing disappears from search and cannot be bought.
    [Tags]    smoke    payments
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}    commodity=tantalum
    Search Should Find    ${listing}    seller_id=${SELLER}[id]    commodity=tantalum
    Suspend Listing As    ${ADMIN}    ${listing}    Origin under investigation
    Listing Should Be Persisted    ${listing}    status=suspended    status_reason=Origin under investigation
    Search Should Not Find    ${listing}    seller_id=${SELLER}[id]    commodity=tantalum
    Listing Should Be Hidden From    ${BUYER}    ${listing}
    ${response} =    Request Purchase    ${BUYER}    ${listing}    expected_status=409
    Problem Should Be    ${response}    409    listing_not_available
    Payments For Listing Should Be    ${listing}    0

Reinstatement Makes A Listing Public Again
    [Documentation]    A cleared listing comes back, without the suspension reason.
    ${listing} =    Create Approved Listing    ${SELLER}    ${ADMIN}    commodity=tungsten
    Suspend Listing As    ${ADMIN}    ${listing}    Paperwork check
    Reinstate Listing As    ${ADMIN}    ${listing}
    Listing Should Be Persisted    ${listing}    status=active    status_reason=None    version=4
    Search Should Find    ${listing}    seller_id=${SELLER}[id]    commodity=tungsten

Every Moderation Action Is Recorded
    [Documentation]    Who moderated what, and why, is kept in the history and the audit log.
    [Tags]    audit
    ${listing} =    Create Listing As    ${SELLER}
    Reject Listing As    ${ADMIN}    ${listing}    Blurry photos
    Approve Listing As    ${ADMIN}    ${listing}
    Suspend Listing As    ${ADMIN}    ${listing}    Complaint received
    Reinstate Listing As    ${ADMIN}    ${listing}
    History Should Be Recorded    ${listing}    create    reject    approve    suspend    reinstate
    ${history} =    Listing History As    ${ADMIN}    ${listing}
    Change Should Be    ${history}[3]    suspend    ${ADMIN}
    Change Should Set    ${history}[3]    status_reason    ${NONE}    Complaint received
    FOR    ${action}    IN    reject    approve    suspend    reinstate
        Audit Should Record    listing.${action}    ${listing}    by=${ADMIN}
    END

Only Admins Can Moderate
    [Documentation]    Sellers cannot approve their own listings, nor anyone else moderate.
    [Tags]    security    authorization
    [Template]    Moderation Should Be Refused
    ${SELLER}    approve    403
    ${OTHER_SELLER}    approve    403
    ${BUYER}    approve    403
    ${NOBODY}    approve    401
    ${SELLER}    reject    403
    ${BUYER}    suspend    403
    ${NOBODY}    reinstate    401

Reject And Suspend Need A Reason
    [Documentation]    A seller must be told why; an empty or missing reason is a 422.
    [Tags]    validation
    [Template]    Moderation Without Reason Should Be Refused
    reject    ${NONE}
    reject    ${EMPTY}
    reject    ${SPACE * 3}
    suspend    ${NONE}
    suspend    ${{"x" * 501}}

Actions Apply Only In The Right Status
    [Documentation]    Moderation follows the lifecycle; a wrong move is a 409 and changes nothing.
    [Template]    Moderation Should Conflict
    pending_review    suspend
    pending_review    reinstate
    active    approve
    active    reject
    active    reinstate
    suspended    approve
    suspended    suspend
    rejected    suspend
    rejected    reinstate

An Unknown Listing Cannot Be Moderated
    [Documentation]    Moderating a listing that does not exist is a 404.
    VAR    &{unknown} =    id=${{str(uuid.uuid4())}}
    ${response} =    Moderate Listing As    ${ADMIN}    approve    ${unknown}    expected_status=404
    Problem Should Be    ${response}    404    listing_not_found


*** Keywords ***
Moderation Should Be Refused
    [Documentation]    `actor` cannot `action` a fresh listing (active for suspend, else pending); nothing changes.
    [Arguments]    ${actor}    ${action}    ${status}
    ${start} =    Set Variable If    $action == "suspend"    active    pending_review
    ${listing} =    Listing In Status    ${start}
    ${response} =    Moderate Listing As
    ...    ${actor}
    ...    ${action}
    ...    ${listing}
    ...    reason=Because
    ...    expected_status=${status}
    Problem Should Be    ${response}    ${status}
    Listing Should Be Persisted    ${listing}    status=${listing}[status]    version=${listing}[version]

Moderation Without Reason Should Be Refused
    [Documentation]    `action` with `reason` (`NONE`: none sent) is a 422 naming the reason.
    [Arguments]    ${action}    ${reason}
    ${start} =    Set Variable If    $action == "suspend"    active    pending_review
    ${listing} =    Listing In Status    ${start}
    ${response} =    Moderate Listing As
    ...    ${ADMIN}
    ...    ${action}
    ...    ${listing}
    ...    reason=${reason}
    ...    expected_status=422
    ${problem} =    Problem Should Be    ${response}    422    validation_error
    Problem Should Name Field    ${problem}    reason
    Listing Should Be Persisted    ${listing}    status=${listing}[status]    version=${listing}[version]

Moderation Should Conflict
    [Documentation]    `action` on a listing in `status` is a 409 invalid_transition; nothing changes.
    [Arguments]    ${status}    ${action}
    ${listing} =    Listing In Status    ${status}
    ${response} =    Moderate Listing As
    ...    ${ADMIN}
    ...    ${action}
    ...    ${listing}
    ...    reason=Because
    ...    expected_status=409
    Problem Should Be    ${response}    409    invalid_transition
    Listing Should Be Persisted    ${listing}    status=${status}    version=${listing}[version]

Listing In Status
    [Documentation]    A fresh listing of `SELLER`, moved by `ADMIN` to `status`.
    [Arguments]    ${status}
    ${listing} =    Create Listing As    ${SELLER}
    IF    $status in ("active", "suspended")
        ${listing} =    Approve Listing As    ${ADMIN}    ${listing}
    END
    IF    $status == "suspended"
        ${listing} =    Suspend Listing As    ${ADMIN}    ${listing}    Because
    ELSE IF    $status == "rejected"
        ${listing} =    Reject Listing As    ${ADMIN}    ${listing}    Because
    END
    RETURN    ${listing}
