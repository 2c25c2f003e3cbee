import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full")


@app.cell
def _():
    import io

    from PIL import Image, ImageDraw
    from pydantic import BaseModel, Field

    from falwidgets.server import endpoint

    class BadgeIn(BaseModel):
        text: str = Field(description="What the badge says", max_length=24, examples=["hello"])
        size: int = Field(256, ge=64, le=1024, description="Side of the square image in pixels")
        colour: str = Field("#3366ff", description="Background colour")
        steps: int = Field(5, ge=1, le=50, description="Pretend work: one log line per step")

    class BadgeFile(BaseModel):
        url: str
        content_type: str
        file_name: str
        width: int
        height: int

    class BadgeOut(BaseModel):
        image: BadgeFile
        text: str

    @endpoint("me/badge", input=BadgeIn, output=BadgeOut)
    def badge(inp: BadgeIn, ctx) -> BadgeOut:
        """Draw a square badge with some text on it."""
        for _ in ctx.steps(inp.steps, label="drawing"):
            pass
        picture = Image.new("RGB", (inp.size, inp.size), inp.colour)
        draw = ImageDraw.Draw(picture)
        draw.ellipse([8, 8, inp.size - 8, inp.size - 8], outline="white", width=6)
        draw.text((inp.size // 4, inp.size // 2), inp.text, fill="white")
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        saved = ctx.save(buffer.getvalue(), "badge.png", "image/png")
        image = BadgeFile(**{**saved, "width": inp.size, "height": inp.size})
        return BadgeOut(image=image, text=inp.text)

    return


@app.cell
def _():
    import falwidgets
    from falwidgets.runner import app

    ui = app("me/badge")
    out = ui.run({"text": "falwidgets", "size": 320})
    print(out["image"]["width"], out["image"]["url"])
    ui
    return falwidgets, ui


@app.cell
def _(falwidgets, ui):
    try:
        ui.run({"text": "x" * 40, "size": 320})
    except falwidgets.InputRejected as error:
        print("rejected:", [e["loc"] for e in error.errors])
    ui.errors
    return


if __name__ == "__main__":
    app.run()
