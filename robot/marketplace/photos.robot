*** Settings ***
Documentation     Listing photos: JPEG, PNG and WebP recognised by their bytes, at most 5 MiB and
...               ten a listing, stored in PostgreSQL so that no photo outlives its listing.

Resource          ../../keywords/api.resource
Resource          ../../keywords/cast.resource
Resource          ../../keywords/database.resource
Resource          ../../keywords/listings.resource
Resource          ../../keywords/photos.resource

Suite Setup       Register The Cast
Suite Teardown    Disconnect From Api Database

Test Tags         marketplace    listings    photos    db


*** Test Cases ***
Each Accepted Type Comes Back Byte For Byte
    [Documentation]    The type stored and served is what the bytes are, whatever the client declared.
    [Tags]    smoke
    [Template]    Photo Should Round Trip
    jpeg    image/jpeg    image/jpeg
    png    image/png    image/png
    webp    image/webp    image/webp
    png    image/jpeg    image/png
    webp    application/octet-stream    image/webp

Disguised Files Are Refused
    [Documentation]    A file is accepted for what it is, not for the type its upload claims.
    [Tags]    security
    [Template]    Disguised File Should Be Refused
    <html><script>alert(1)</script></html>    image/jpeg
    GIF89a\x01\x00\x01\x00    image/gif
    <svg xmlns="http://www.w3.org/2000/svg"/>    image/svg+xml
    %PDF-1.7    image/png
    MZ\x90\x00\x03    image/webp
    RIFF\x24\x00\x00\x00WAVEfmt    image/webp
    \x89PNG    image/png
    ${EMPTY}    image/jpeg

A Photo Over 5 MiB Is Refused
    [Documentation]    One byte over the limit is too large.
    ${listing} =    Create Listing As    ${SELLER}
    ${data} =    Photo Of Size    ${PHOTO_MAX_BYTES + 1}
    ${response} =    Upload Photo As    ${SELLER}    ${listing}    ${data}    image/png    expected_status=413
    Problem Should Be    ${response}    413    payload_too_large
    Photos In Database Should Be    ${listing}    0

A Photo Of Exactly 5 MiB Is Accepted
    [Documentation]    The limit itself is allowed.
    ${listing} =    Create Listing As    ${SELLER}
    ${data} =    Photo Of Size    ${PHOTO_MAX_BYTES}
    ${response} =    Upload Photo As    ${SELLER}    ${listing}    ${data}    image/png
    Should Be Equal As Integers    ${response.json()}[size]    ${PHOTO_MAX_BYTES}
    Photo Should Be Persisted    ${response.json()}    ${data}    image/png

The Eleventh Photo Is Refused
    [Documentation]    Ten photos a listing, no more.
    ${listing} =    Create Listing As    ${SELLER}
    Upload Photos As    ${SELLER}    ${listing}    ${PHOTOS_PER_LISTING}
    Photos In Database Should Be    ${listing}    ${PHOTOS_PER_LISTING}
    ${jpeg} =    Photo Bytes    jpeg
    ${response} =    Upload Photo As    ${SELLER}    ${listing}    ${jpeg}    expected_status=409
    Problem Should Be    ${response}    409    too_many_photos
    Photos In Database Should Be    ${listing}    ${PHOTOS_PER_LISTING}

A Deleted Photo Is Gone
    [Documentation]    Deleting a photo removes its bytes, its place in the listing, and moves the version.
    ${listing} =    Create Listing As    ${SELLER}
    ${jpeg} =    Photo Bytes    jpeg
    ${photo} =    Upload Photo As    ${SELLER}    ${listing}    ${jpeg}
    Delete Photo As    ${SELLER}    ${photo.json()}
    Photo Should Not Exist In Database    ${photo.json()}
    Fetch Photo As    ${SELLER}    ${photo.json()}    expected_status=404
    ${current} =    Read Listing As    ${SELLER}    ${listing}
    Should Be Empty    ${current.json()}[photos]
    Listing Should Be Persisted    ${listing}    version=3
    History Should Be Recorded    ${listing}    create    photo_add    photo_delete

Deleting A Listing Removes Its Photos
    [Documentation]    No photo may outlive its listing.
    [Tags]    smoke
    ${listing} =    Create Listing As    ${SELLER}
    Upload Photos As    ${SELLER}    ${listing}    3
    ${current} =    Read Listing As    ${SELLER}    ${listing}
    Delete Listing As    ${SELLER}    ${listing}
    Listing Should Not Exist In Database    ${listing}
    Photos In Database Should Be    ${listing}    0
    Fetch Photo As    ${SELLER}    ${current.json()}[photos][0]    expected_status=404

Photos Are As Private As Their Listing
    [Documentation]    Photos of a listing under review are not public; after approval they are.
    [Tags]    security
    ${listing} =    Create Listing As    ${SELLER}
    ${png} =    Photo Bytes    png
    ${photo} =    Upload Photo As    ${SELLER}    ${listing}    ${png}    image/png
    Fetch Photo As    ${NOBODY}    ${photo.json()}    expected_status=404
    Fetch Photo As    ${OTHER_SELLER}    ${photo.json()}    expected_status=404
    Photo Should Be Served To    ${SELLER}    ${photo.json()}    ${png}    image/png
    Approve Listing As    ${ADMIN}    ${listing}
    Photo Should Be Served To    ${NOBODY}    ${photo.json()}    ${png}    image/png

An Upload Must Be One Photo Field
    [Documentation]    Forms without the `photo` field are refused and store nothing.
    [Tags]    validation
    ${listing} =    Create Listing As    ${SELLER}
    ${png} =    Photo Bytes    png
    ${form} =    Photo Form    ${png}    image/png    field=image
    ${response} =    Upload Form As    ${SELLER}    ${listing}    ${form}    expected_status=422
    ${problem} =    Problem Should Be    ${response}    422    validation_error
    Problem Should Name Field    ${problem}    image
    Photos In Database Should Be    ${listing}    0


*** Keywords ***
Photo Should Round Trip
    [Documentation]    A `kind` image declared as `declared` is stored and served as `served`, byte for byte.
    [Arguments]    ${kind}    ${declared}    ${served}
    ${listing} =    Create Listing As    ${SELLER}
    ${data} =    Photo Bytes    ${kind}
    ${response} =    Upload Photo As    ${SELLER}    ${listing}    ${data}    ${declared}
    VAR    ${photo} =    ${response.json()}
    Should Be Equal    ${photo}[content_type]    ${served}
    Photo Should Be Persisted    ${photo}    ${data}    ${served}
    Photo Should Be Served To    ${SELLER}    ${photo}    ${data}    ${served}
    Listing Should Be Persisted    ${listing}    version=2

Disguised File Should Be Refused
    [Documentation]    Uploading `content` (Robot's \x escapes for bytes) declared as `declared` is a 415.
    [Arguments]    ${content}    ${declared}
    ${listing} =    Create Listing As    ${SELLER}
    ${data} =    Evaluate    $content.encode("latin-1")
    ${response} =    Upload Photo As    ${SELLER}    ${listing}    ${data}    ${declared}    expected_status=415
    Problem Should Be    ${response}    415    unsupported_media_type
    Photos In Database Should Be    ${listing}    0
    Listing Should Be Persisted    ${listing}    version=1
