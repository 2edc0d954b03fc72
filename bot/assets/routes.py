"""The site icon: browsers ask for /favicon.ico on every page, and a 404 there is noise in the
logs and a broken tab icon for patients."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(tags=["assets"], include_in_schema=False)
STATIC = Path(__file__).parent / "static"
ONE_DAY = "public, max-age=86400"


@router.get("/favicon.ico")
def favicon_ico() -> FileResponse:
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": ONE_DAY})


@router.get("/favicon.svg")
def favicon_svg() -> FileResponse:
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": ONE_DAY})
